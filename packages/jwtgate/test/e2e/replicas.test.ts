// Replicas end to end: two `jwtgate issuer` processes on one PostgreSQL store relaying revocations
// to one Redis, two `jwtgate gateway` processes sharing that Redis, one upstream. Both issuers have
// the same issuer URL (behind one load balancer in production) and each gateway reads the keys
// of a different issuer, so the tests see whether the replicas agree: on keys (a rotation through
// one), on revocations (made at one, enforced by both gateways), on rate limits (across both
// gateways), and whether Redis or PostgreSQL connections cut mid-run give anyone a wrong answer.
// The gateways reach Redis through a TCP forwarder in this process, so a cut can keep them away
// for as long as the test wants (ioredis is back 50 ms after a CLIENT KILL).
// Everything this run creates is its own: schema and application_name jwtgate_repl_<random>, Redis
// key prefix and connection names jwtgate-repl-<random>; all of it is removed afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { deleteKeys, probeRedis, REDIS_URL } from '../gateway/helpers/redis.ts';
import {
  AUDIENCE,
  decodePart,
  freePort,
  type IssuerProcess,
  postForm,
  runCli,
  sleep,
  startIssuerProcess,
} from '../issuer/helpers.ts';
import {
  createScratch,
  type PostgresScratch,
  probePostgres,
  skipWithout,
} from '../issuer/postgres-helpers.ts';
import { type Forwarder, startForwarder } from '../issuer/tcp-forwarder.ts';
import { type GatewayProcess, send, startGateway, tempDir } from './harness.ts';

const ADMIN_TOKEN = randomBytes(32).toString('base64url');
const PRE_PUBLISH = 2;
const KEY_POLL_MS = 200;

/** One answer of the traffic loop to the token revoked during the Redis cut. */
interface Sample {
  readonly at: number;
  readonly status: number;
}

interface Client {
  readonly id: string;
  readonly secret: string;
}

/** Polls `check` every `everyMs` until it returns a value, or fails after `ms`. */
async function waitFor<T>(
  what: string,
  ms: number,
  check: () => Promise<T | undefined>,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function publishedKids(issuer: string): Promise<string[]> {
  const res = await fetch(`${issuer}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

/** A client-credentials token request; the raw answer. */
function requestToken(issuer: string, client: Client) {
  return postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, { ...client, method: 'basic' });
}

async function tokenFrom(issuer: string, client: Client): Promise<string> {
  const r = await requestToken(issuer, client);
  assert.equal(r.status, 200, `token from ${issuer}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}

/** RFC 7009 revocation at `issuer` with the client's own credentials. */
async function revoke(issuer: string, client: Client, token: string): Promise<void> {
  const r = await postForm(
    `${issuer}/token/revocation`,
    { token, token_type_hint: 'access_token' },
    { ...client, method: 'basic' },
  );
  assert.equal(r.status, 200, `revocation at ${issuer}: ${r.status} ${JSON.stringify(r.body)}`);
}

const problems = [
  await probePostgres().then((p) => (p === null ? null : `PostgreSQL not reachable (${p})`)),
  await probeRedis().then((p) => (p === null ? null : `Redis not reachable at ${REDIS_URL} (${p})`)),
].filter((p): p is string => p !== null);

if (problems.length > 0) skipWithout('issuer and gateway replicas', problems);
else
  describe('two issuers and two gateways on one PostgreSQL and one Redis', { timeout: 240_000 }, () => {
    const tag = randomBytes(5).toString('hex');
    /** Redis key prefix; also the start of every Redis connection name of this run. */
    const marker = `jwtgate-repl-${tag}`;
    const prefix = `${marker}:`;
    const redisUrl = `${REDIS_URL.replace(/\/$/, '')}/?connectionName=${marker}`;
    const tmp = tempDir();
    const redis = new Redis(REDIS_URL, { connectionName: `${marker}-test-admin`, maxRetriesPerRequest: 1 });
    let pg: PostgresScratch | undefined;
    let storeUrl = '';
    let upstream: Server | undefined;
    /** The gateways' way to Redis. */
    let redisForwarder: Forwarder | undefined;
    let gatewayRedisUrl = '';
    const issuers: IssuerProcess[] = [];
    const gateways: GatewayProcess[] = [];
    let A = '';
    let B = '';
    let gw: [string, string] = ['', ''];
    let gwAdmin: [string, string] = ['', ''];
    let svc: Client;
    let limited: Client;
    let load: Client;
    /** Revoked in test 3, denied by both gateways from then on. */
    let revokedToken = '';

    async function addClient(id: string, extra: string[] = []): Promise<Client> {
      const r = await runCli([
        'clients',
        'add',
        id,
        '--audience',
        AUDIENCE,
        '--scope',
        'read',
        '--role',
        'billing',
        ...extra,
        '--store',
        storeUrl,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      return { id, secret: JSON.parse(r.stdout).client_secret };
    }

    /** GET `path` at gateway `i` with the token: the status (0 when the connection failed). */
    async function through(i: 0 | 1, path: string, token: string): Promise<number> {
      try {
        return (await send(`${gw[i]}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
      } catch {
        return 0;
      }
    }

    /** This run's Redis connections: [id, name]. */
    async function ourRedisClients(): Promise<[string, string][]> {
      const list = (await redis.client('LIST')) as string;
      const out: [string, string][] = [];
      for (const line of list.split('\n')) {
        const name = / name=(\S*)/.exec(line)?.[1] ?? '';
        const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
        if (id && name.startsWith(marker) && name !== `${marker}-test-admin`) out.push([id, name]);
      }
      return out;
    }

    /** CLIENT KILL on every connection of this run's issuers and gateways; how many. */
    async function cutRedis(): Promise<number> {
      let n = 0;
      for (const [id] of await ourRedisClients()) {
        n += Number(await redis.client('KILL', 'ID', id).catch(() => 0));
      }
      return n;
    }

    async function redisUp(admin: string): Promise<boolean> {
      const res = await fetch(`${admin}/readyz`);
      const body = (await res.json()) as { redis?: { state: string } };
      return body.redis?.state === 'up';
    }

    function gatewayConfig(port: number, adminPort: number, jwksFrom: string): string {
      const upstreamUrl = `http://127.0.0.1:${(upstream?.address() as { port: number } | undefined)?.port}`;
      return stringify({
        gateway: {
          listen: `127.0.0.1:${port}`,
          admin: { listen: `127.0.0.1:${adminPort}` },
          redis: { url: gatewayRedisUrl, key_prefix: prefix, on_failure: 'open' },
          providers: {
            issuer: {
              issuer: A,
              jwks_uri: `${jwksFrom}/.well-known/jwks.json`,
              algorithms: ['ES256'],
              audiences: [AUDIENCE],
              token_types: ['at+jwt'],
              // An unknown kid (a rotated key) is refetched at once.
              jwks: { cooldown: 0 },
            },
          },
          routes: [
            {
              name: 'api',
              match: { path: '/api/**' },
              requires: { provider: 'issuer', roles_any: ['billing'], scopes_any: ['read'] },
              upstream: upstreamUrl,
            },
            {
              name: 'limited',
              match: { path: '/limited' },
              requires: { provider: 'issuer' },
              upstream: upstreamUrl,
              rate_limit: { requests_per_second: 0.001, burst: 3 },
            },
          ],
        },
      });
    }

    before(
      async () => {
        pg = await createScratch('repl');
        storeUrl = pg.storeUrl();
        upstream = createServer((_req, res) =>
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
        );
        await new Promise<void>((r) => upstream?.listen(0, '127.0.0.1', r));
        const target = new URL(REDIS_URL);
        redisForwarder = await startForwarder({ host: target.hostname, port: Number(target.port || 6379) });
        target.hostname = '127.0.0.1';
        target.port = String(redisForwarder.port);
        gatewayRedisUrl = `${target.toString().replace(/\/$/, '')}/?connectionName=${marker}`;

        // The first CLI call creates the tables; the others can run side by side.
        svc = await addClient('replica-svc');
        [limited, load] = await Promise.all([addClient('replica-limited'), addClient('replica-load')]);

        const [portA, portB, gw1, gw2, admin1, admin2] = (await Promise.all(
          Array.from({ length: 6 }, () => freePort()),
        )) as [number, number, number, number, number, number];
        A = `http://127.0.0.1:${portA}`;
        B = `http://127.0.0.1:${portB}`;
        for (const port of [portA, portB]) {
          const issuer = startIssuerProcess(
            [
              `--port=${port}`,
              `--issuer-url=${A}`,
              `--store=${storeUrl}`,
              `--redis=${redisUrl}`,
              `--redis-prefix=${prefix}`,
              `--key-poll=${KEY_POLL_MS}`,
              `--pre-publish=${PRE_PUBLISH}`,
              // The load loop of test 6 asks for many tokens; the endpoint guard is not under test.
              '--rate-limit-client=0',
              '--rate-limit-address=0',
            ],
            { JWTGATE_ADMIN_TOKEN: ADMIN_TOKEN },
          );
          issuers.push(issuer);
          // One after the other: the second finds the first's signing key in the store.
          await issuer.ready;
        }

        gw = [`http://127.0.0.1:${gw1}`, `http://127.0.0.1:${gw2}`];
        gwAdmin = [`http://127.0.0.1:${admin1}`, `http://127.0.0.1:${admin2}`];
        const configs = [
          tmp.write('gateway-1.yaml', gatewayConfig(gw1, admin1, A)),
          tmp.write('gateway-2.yaml', gatewayConfig(gw2, admin2, B)),
        ];
        gateways.push(...(await Promise.all(configs.map((c) => startGateway(c)))));
        for (const admin of gwAdmin)
          await waitFor(`redis up at ${admin}`, 15_000, async () =>
            (await redisUp(admin)) ? true : undefined,
          );
        const named = await ourRedisClients();
        // Each issuer's relay, and each gateway's command, catch-up and subscriber connections.
        assert.ok(
          named.length >= 8,
          `this run's named Redis connections: ${named.map((c) => c[1]).join(', ')}`,
        );
      },
      { timeout: 120_000 },
    );

    after(
      async () => {
        await Promise.all(gateways.map((g) => g.stop()));
        const codes = await Promise.all(issuers.map((i) => i.stop()));
        upstream?.closeAllConnections();
        await redisForwarder?.close();
        await new Promise((r) => (upstream ? upstream.close(r) : r(undefined)));
        await deleteKeys(redis, prefix).catch(() => {});
        redis.disconnect();
        await pg?.drop();
        tmp.cleanup();
        for (const [i, code] of codes.entries())
          assert.equal(
            code,
            0,
            `issuer ${i === 0 ? 'A' : 'B'} exited with ${code}:\n${issuers[i]?.output()}`,
          );
      },
      { timeout: 60_000 },
    );

    test('a token from either issuer passes either gateway', async () => {
      for (const issuer of [A, B]) {
        const token = await tokenFrom(issuer, svc);
        assert.equal(decodePart(token, 1).iss, A, 'both issuers sign as the one issuer URL');
        for (const i of [0, 1] as const)
          assert.equal(await through(i, '/api/x', token), 200, `token from ${issuer} at gateway ${i + 1}`);
      }
      // Both issuers publish the same keys.
      assert.deepEqual((await publishedKids(A)).sort(), (await publishedKids(B)).sort());
    });

    test('a key rotated through issuer A is published by both before it signs, then signs at both and passes both gateways', async () => {
      const oldKidValue = decodePart(await tokenFrom(B, svc), 0).kid as string;
      assert.ok(oldKidValue);
      const res = await fetch(`${A}/admin/keys/rotate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 201, await res.clone().text());
      const { key } = (await res.json()) as { key: { kid: string; state: string; activates_at: string } };
      assert.equal(key.state, 'next');
      const activatesAt = Date.parse(key.activates_at);
      assert.ok(activatesAt - Date.now() > 1000, 'pre-published for the configured time');

      // Both issuers publish it, each within a couple of key polls, before it signs.
      await Promise.all(
        [A, B].map((issuer) =>
          waitFor(`${key.kid} in the JWKS of ${issuer}`, PRE_PUBLISH * 1000, async () =>
            (await publishedKids(issuer)).includes(key.kid) ? true : undefined,
          ),
        ),
      );
      const publishedBy = Date.now();
      assert.ok(
        publishedBy < activatesAt,
        `published by both ${activatesAt - publishedBy} ms before it signs`,
      );
      for (const issuer of [A, B])
        assert.equal(decodePart(await tokenFrom(issuer, svc), 0).kid, oldKidValue, 'the old key still signs');

      // Then both sign with it, and both gateways (each reading a different issuer's JWKS) accept it.
      for (const issuer of [A, B]) {
        const token = await waitFor(
          `a token from ${issuer} signed by ${key.kid}`,
          (PRE_PUBLISH + 5) * 1000,
          async () => {
            const t = await tokenFrom(issuer, svc);
            return decodePart(t, 0).kid === key.kid ? t : undefined;
          },
        );
        assert.ok(Date.now() >= activatesAt - 100, 'not before its activation');
        for (const i of [0, 1] as const)
          assert.equal(
            await through(i, '/api/x', token),
            200,
            `new-key token from ${issuer} at gateway ${i + 1}`,
          );
      }
      // The old key stays published (its tokens are still valid).
      for (const issuer of [A, B]) assert.ok((await publishedKids(issuer)).includes(oldKidValue));
    });

    test('a token revoked at issuer B is denied by both gateways within one second', async () => {
      const token = await tokenFrom(A, svc);
      for (const i of [0, 1] as const) assert.equal(await through(i, '/api/x', token), 200);
      const started = performance.now();
      const deniedAt: [number, number] = [0, 0];
      const watch = (i: 0 | 1) =>
        (async () => {
          while (performance.now() - started < 5000) {
            if ((await through(i, '/api/x', token)) === 401) {
              deniedAt[i] = performance.now() - started;
              return;
            }
            await sleep(5);
          }
        })();
      const revoked = revoke(B, svc, token);
      await Promise.all([revoked, watch(0), watch(1)]);
      const latency = Math.max(...deniedAt);
      console.log(
        `revocation at issuer B -> denied by gateway 1 after ${deniedAt[0].toFixed(0)} ms, gateway 2 after ${deniedAt[1].toFixed(0)} ms`,
      );
      assert.ok(deniedAt[0] > 0 && deniedAt[1] > 0, 'both gateways deny the token');
      assert.ok(latency < 1000, `denied by both within ${latency.toFixed(0)} ms`);
      revokedToken = token;
    });

    test('a rate limit holds across both gateways', async () => {
      const token = await tokenFrom(B, limited);
      const statuses: number[] = [];
      for (let n = 0; n < 8; n++) statuses.push(await through((n % 2) as 0 | 1, '/limited', token));
      assert.equal(statuses.filter((s) => s === 200).length, 3, `burst 3 in all: ${statuses.join(' ')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 5, `the rest 429: ${statuses.join(' ')}`);
      assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    });

    test('Redis connections cut mid-run: no wrong answer, and the revocation made meanwhile is caught up', async () => {
      assert.ok(revokedToken, 'the revocation test ran first');
      const valid = await tokenFrom(A, svc);
      const lateToken = await tokenFrom(B, svc);
      for (const i of [0, 1] as const) {
        assert.equal(await through(i, '/api/x', valid), 200);
        assert.equal(await through(i, '/api/x', revokedToken), 401);
        assert.equal(await through(i, '/api/x', lateToken), 200);
      }

      const wrong: string[] = [];
      const late: [Sample[], Sample[]] = [[], []];
      let validCount = 0;
      let running = true;
      const traffic = (i: 0 | 1) =>
        (async () => {
          while (running) {
            const [v, r, l] = await Promise.all([
              through(i, '/api/x', valid),
              through(i, '/api/x', revokedToken),
              through(i, '/api/x', lateToken),
            ]);
            validCount++;
            if (v !== 200) wrong.push(`gateway ${i + 1}: valid token answered ${v}`);
            if (r !== 401) wrong.push(`gateway ${i + 1}: revoked token answered ${r}`);
            late[i].push({ at: performance.now(), status: l });
            await sleep(10);
          }
        })();
      const loops = [traffic(0), traffic(1)];

      // Cut every Redis connection of the run, over and over for 1.5 s, and keep the gateways' way
      // to Redis closed meanwhile; revoke while they are away.
      const forwarder = redisForwarder as Forwarder;
      let killed = 0;
      const cutStarted = performance.now();
      await forwarder.down('drop');
      let revokedAt = 0;
      let revocation: Promise<void> | undefined;
      try {
        while (performance.now() - cutStarted < 1500) {
          killed += await cutRedis();
          if (revocation === undefined && performance.now() - cutStarted > 300) {
            killed += await cutRedis();
            revokedAt = performance.now();
            revocation = revoke(A, svc, lateToken);
          }
          await sleep(10);
        }
        await revocation;
      } finally {
        await forwarder.up();
      }
      const cutEnded = performance.now();
      assert.ok(killed >= 8, `cut ${killed} connections`);

      // Back: both gateways deny the token revoked during the cut, without a restart.
      let caughtUp = 0;
      await waitFor('both gateways to deny the token revoked during the cut', 15_000, async () => {
        const s = await Promise.all([through(0, '/api/x', lateToken), through(1, '/api/x', lateToken)]);
        return s[0] === 401 && s[1] === 401 ? true : undefined;
      });
      caughtUp = performance.now() - cutEnded;
      await sleep(300);
      running = false;
      await Promise.all(loops);
      for (const admin of gwAdmin)
        await waitFor(`redis up again at ${admin}`, 15_000, async () =>
          (await redisUp(admin)) ? true : undefined,
        );
      const firstDenial = late.map((g) => (g.find((r) => r.status === 401)?.at ?? Number.NaN) - cutEnded);
      console.log(
        `redis cut: the loop first saw the late-revoked token denied ${firstDenial.map((ms) => `${ms.toFixed(0)} ms`).join(' / ')} after the cut ended; ${killed} connections killed over ${(cutEnded - cutStarted).toFixed(0)} ms, ${validCount} traffic rounds; ` +
          `both gateways denied the token revoked during the cut ${caughtUp.toFixed(0)} ms after the cut ended ` +
          `(it was revoked ${(cutEnded - revokedAt).toFixed(0)} ms before the end)`,
      );
      assert.deepEqual(wrong, [], 'no wrong answer during the cut');
      // Cut off, no gateway could know of the revocation; once one denied the token, it never let
      // it through again.
      for (const i of [0, 1] as const) {
        const firstDenied = late[i].findIndex((r) => r.status === 401);
        assert.ok(firstDenied >= 0, `gateway ${i + 1} denied the late-revoked token in the loop`);
        const after = late[i].slice(firstDenied).map((r) => r.status);
        assert.ok(
          after.every((s) => s === 401),
          `gateway ${i + 1} after the first denial: ${after.join(' ')}`,
        );
        assert.ok(
          (late[i][firstDenied]?.at ?? 0) > cutEnded - 100,
          `gateway ${i + 1} denied the token revoked during the cut only after the cut (through the catch-up)`,
        );
        const before = late[i].slice(0, firstDenied).map((r) => r.status);
        assert.ok(
          before.every((s) => s === 200),
          `gateway ${i + 1} before: ${before.join(' ')}`,
        );
      }
      // Both issuers' relays are connected again.
      for (const issuer of [A, B])
        await waitFor(`redis up at issuer ${issuer}`, 15_000, async () => {
          const h = (await (await fetch(`${issuer}/healthz`)).json()) as { redis?: string };
          return h.redis === 'up' ? true : undefined;
        });
    });

    test('PostgreSQL connections killed mid-run: tokens answer 200 or 503 with Retry-After, and come back without a restart', async () => {
      const statuses = new Map<number, number>();
      const wrong: string[] = [];
      let running = true;
      let verified = 0;
      const worker = (issuer: string, gateway: 0 | 1) =>
        (async () => {
          while (running) {
            let r: Awaited<ReturnType<typeof requestToken>>;
            try {
              r = await requestToken(issuer, load);
            } catch (err) {
              wrong.push(`${issuer}: token request failed: ${(err as Error).message}`);
              continue;
            }
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            if (r.status === 200) {
              const status = await through(gateway, '/api/x', r.body.access_token as string);
              if (status !== 200) wrong.push(`${issuer}: token answered ${status} at gateway ${gateway + 1}`);
              else verified++;
            } else if (r.status === 503) {
              if (!r.headers.get('retry-after')) wrong.push(`${issuer}: 503 without Retry-After`);
              if (r.body.error !== 'temporarily_unavailable')
                wrong.push(`${issuer}: 503 with ${JSON.stringify(r.body)}`);
            } else {
              wrong.push(`${issuer}: token request answered ${r.status} ${JSON.stringify(r.body)}`);
            }
          }
        })();
      const loops = [worker(A, 0), worker(B, 1), worker(A, 1), worker(B, 0)];
      await sleep(300);
      const kills: number[] = [];
      for (let n = 0; n < 5; n++) {
        kills.push(await (pg as PostgresScratch).terminate());
        await sleep(250);
      }
      running = false;
      await Promise.all(loops);

      // Afterwards both issuers issue tokens again, without a restart.
      for (const issuer of [A, B]) {
        const token = await waitFor(`a token from ${issuer} after the kills`, 15_000, async () => {
          const r = await requestToken(issuer, load);
          return r.status === 200 ? (r.body.access_token as string) : undefined;
        });
        for (const i of [0, 1] as const) assert.equal(await through(i, '/api/x', token), 200);
      }
      const summary = [...statuses].map(([s, n]) => `${s}: ${n}`).join(', ');
      console.log(
        `postgres kills: terminated ${kills.join('+')} connections; token answers ${summary}; ${verified} tokens verified at the gateways; ${statuses.get(503) ?? 0} x 503`,
      );
      assert.ok(kills.reduce((a, b) => a + b, 0) > 0, 'the kills found connections of this run');
      assert.deepEqual(wrong, [], 'only 200 or 503 (with Retry-After); every issued token verifies');
      assert.ok((statuses.get(200) ?? 0) > 0);
      for (const issuer of issuers) {
        assert.equal(issuer.child.exitCode, null, 'no issuer exited');
        // A 500 would be logged as "request failed" (create-issuer.ts); an unavailable store is a warning.
        assert.doesNotMatch(issuer.output(), /"msg":"request failed"/);
      }
    });
  });
