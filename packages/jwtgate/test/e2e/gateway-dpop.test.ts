// DPoP end to end with real processes: a `jwtgate issuer` gives a public client (PKCE, dpop:
// required) DPoP-bound access tokens (cnf.jkt) for a user who signed in with a password, and for
// one who signed in with a password and a one-time code; two `jwtgate gateway` processes share
// one Redis. Over HTTP/1.1: a fresh proof per request passes and the upstream is told the token
// was bound, the same token as Bearer is refused with a DPoP challenge, a proof replayed at the
// same gateway or at the other one is refused, a proof for another URL is refused, and a route
// requiring a strong sign-in (amr_any) refuses the password-only token (RFC 9470) and takes the
// otp one. Behind a proxy (trust_forwarded) the proof is checked against X-Forwarded-Proto/Host.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { deleteKeys, probeRedis, REDIS_URL } from '../gateway/helpers/redis.ts';
import { skipWithout } from '../issuer/postgres-helpers.ts';
import {
  type ClientKey,
  clientKey,
  type DpopIssuer,
  claimsOf as decode,
  startDpopIssuer,
} from './dpop-sign-in.ts';
import {
  freePort,
  type GatewayProcess,
  issuerProvider,
  send,
  startGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

const API = 'https://orders.example';
const ALICE = { username: 'alice', password: 'alice password only 123' };
const BOB = { username: 'bob', password: 'bob password and otp 123', mfaRequired: true };

const redisProblem = await probeRedis();
if (redisProblem !== null)
  skipWithout('DPoP through two gateways', [`Redis not reachable at ${REDIS_URL} (${redisProblem})`]);
else
  describe('DPoP from a jwtgate issuer through two gateways sharing Redis', { timeout: 120_000 }, () => {
    const tmp = tempDir();
    const prefix = `jwtgate-dpop-${randomBytes(4).toString('hex')}:`;
    let issuer: DpopIssuer | undefined;
    let issuerUrl = '';
    let upstream: Upstream | undefined;
    const gateways: GatewayProcess[] = [];
    const gw: string[] = [];
    const key = { alice: undefined as unknown as ClientKey, bob: undefined as unknown as ClientKey };
    const tokens = { alice: '', bob: '' };

    before(async () => {
      const started = await startDpopIssuer(tmp.dir, API, [ALICE, BOB]);
      issuer = started;
      issuerUrl = started.url;
      upstream = await startUpstream('orders');
      for (let i = 0; i < 3; i++) {
        const listen = await freePort();
        const config = {
          gateway: {
            listen: `127.0.0.1:${listen}`,
            // The third gateway sits behind a TLS-terminating proxy that says so.
            ...(i === 2 ? { trust_forwarded: true } : {}),
            redis: { url: REDIS_URL, key_prefix: prefix },
            providers: {
              issuer: { ...issuerProvider(issuerUrl, API), dpop: 'optional' },
            },
            routes: [
              {
                name: 'orders',
                match: { path: '/orders/**' },
                requires: { provider: 'issuer' },
                upstream: upstream.origin,
                identity_headers: { 'x-user': 'sub' },
              },
              {
                name: 'admin',
                match: { path: '/admin/**' },
                requires: { provider: 'issuer', amr_any: ['otp', 'hwk'] },
                upstream: upstream.origin,
              },
            ],
          },
        };
        gateways.push(await startGateway(tmp.write(`gateway-${i}.yaml`, stringify(config))));
        gw.push(`http://127.0.0.1:${listen}`);
      }
      key.alice = await clientKey();
      key.bob = await clientKey();
      tokens.alice = await started.signIn(ALICE, key.alice);
      tokens.bob = await started.signIn(BOB, key.bob);
    });

    after(async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      await issuer?.process.stop();
      await upstream?.close();
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      await deleteKeys(redis, prefix).catch(() => {});
      redis.disconnect();
      tmp.cleanup();
    });

    const call = (url: string, headers: Record<string, string>) => send(url, { headers });

    test('the issuer bound the tokens to the clients keys; alice signed in with a password, bob with otp too', () => {
      assert.deepEqual(decode(tokens.alice).cnf, { jkt: key.alice.thumbprint });
      assert.deepEqual(decode(tokens.bob).cnf, { jkt: key.bob.thumbprint });
      assert.deepEqual(decode(tokens.alice).amr, ['pwd']);
      assert.ok((decode(tokens.bob).amr as string[]).includes('otp'));
    });

    test('a fresh proof per request passes (HTTP/1.1); the upstream learns the token was bound, not the token', async () => {
      const url = `${gw[0]}/orders/42`;
      for (let i = 0; i < 3; i++) {
        const r = await call(`${url}?page=${i}`, {
          authorization: `DPoP ${tokens.alice}`,
          dpop: await key.alice.proof('GET', url, tokens.alice),
        });
        assert.equal(r.status, 200, r.body);
      }
      const seen = upstream?.seen.at(-1);
      assert.equal(seen?.headers['x-jwtgate-token-binding'], 'dpop');
      assert.equal(seen?.headers['x-user'], decode(tokens.alice).sub);
      assert.equal(seen?.headers.authorization, undefined);
      assert.equal(seen?.headers.dpop, undefined);
    });

    test('the same token as Bearer is refused with a DPoP challenge', async () => {
      const r = await call(`${gw[0]}/orders/42`, { authorization: `Bearer ${tokens.alice}` });
      assert.equal(r.status, 401);
      assert.match(String(r.headers['www-authenticate']), /^DPoP error="invalid_token", .*algs="[^"]*ES256/);
      assert.equal(JSON.parse(r.body).error, 'ERR_DPOP_TOKEN_BOUND');
      const noProof = await call(`${gw[0]}/orders/42`, { authorization: `DPoP ${tokens.alice}` });
      assert.equal(JSON.parse(noProof.body).error, 'ERR_DPOP_PROOF_MISSING');
    });

    test('a proof replayed at the same gateway, or at the other one, is refused; so is one for another URL', async () => {
      const url = `${gw[0]}/orders/7`;
      const proof = await key.alice.proof('GET', url, tokens.alice);
      const headers = { authorization: `DPoP ${tokens.alice}`, dpop: proof };
      assert.equal((await call(url, headers)).status, 200);
      const again = await call(url, headers);
      assert.equal(again.status, 401);
      assert.equal(JSON.parse(again.body).error, 'ERR_DPOP_PROOF_REPLAYED');
      assert.match(String(again.headers['www-authenticate']), /^DPoP error="invalid_dpop_proof"/);
      // The second gateway answers on another port, so the proof's htu names the first: a proof
      // made for the second and used there once is refused at the second's next try through Redis.
      const url1 = `${gw[1]}/orders/7`;
      const proof1 = await key.alice.proof('GET', url1, tokens.alice);
      const h1 = { authorization: `DPoP ${tokens.alice}`, dpop: proof1 };
      assert.equal((await call(url1, h1)).status, 200);
      assert.equal(JSON.parse((await call(url1, h1)).body).error, 'ERR_DPOP_PROOF_REPLAYED');
      // One host name for both, as behind one load balancer: accepted by one, a replay at the other.
      const shared = 'http://orders.internal/orders/9';
      const sharedProof = await key.alice.proof('GET', shared, tokens.alice);
      const viaHost = { authorization: `DPoP ${tokens.alice}`, dpop: sharedProof, host: 'orders.internal' };
      assert.equal((await call(`${gw[0]}/orders/9`, viaHost)).status, 200);
      const other = await call(`${gw[1]}/orders/9`, viaHost);
      assert.equal(other.status, 401);
      assert.equal(JSON.parse(other.body).error, 'ERR_DPOP_PROOF_REPLAYED');
      const elsewhere = await call(`${gw[0]}/orders/9`, {
        authorization: `DPoP ${tokens.alice}`,
        dpop: await key.alice.proof('GET', `${gw[0]}/orders/10`, tokens.alice),
      });
      assert.equal(JSON.parse(elsewhere.body).error, 'ERR_DPOP_URL_MISMATCH');
    });

    test('behind a trusted proxy the proof is for the URL the client used (X-Forwarded-Proto and -Host)', async () => {
      const publicUrl = 'https://api.example/orders/1';
      const ok = await call(`${gw[2]}/orders/1`, {
        authorization: `DPoP ${tokens.alice}`,
        dpop: await key.alice.proof('GET', publicUrl, tokens.alice),
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'api.example',
      });
      assert.equal(ok.status, 200, ok.body);
      // The gateway that does not trust forwarding headers checks against its own scheme and Host.
      const untrusted = await call(`${gw[0]}/orders/1`, {
        authorization: `DPoP ${tokens.alice}`,
        dpop: await key.alice.proof('GET', publicUrl, tokens.alice),
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'api.example',
      });
      assert.equal(JSON.parse(untrusted.body).error, 'ERR_DPOP_URL_MISMATCH');
    });

    test('a route requiring a strong sign-in refuses the password-only token (RFC 9470) and takes the otp one', async () => {
      const url = `${gw[0]}/admin/report`;
      const weak = await call(url, {
        authorization: `DPoP ${tokens.alice}`,
        dpop: await key.alice.proof('GET', url, tokens.alice),
      });
      assert.equal(weak.status, 401);
      assert.equal(JSON.parse(weak.body).error, 'ERR_INSUFFICIENT_AUTHENTICATION');
      assert.match(String(weak.headers['www-authenticate']), /error="insufficient_user_authentication"/);
      const strong = await call(url, {
        authorization: `DPoP ${tokens.bob}`,
        dpop: await key.bob.proof('GET', url, tokens.bob),
      });
      assert.equal(strong.status, 200, strong.body);
    });
  });
