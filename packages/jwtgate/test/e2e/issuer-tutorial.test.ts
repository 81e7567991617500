// End to end: `jwtgate issuer --tutorial` reproduces the tutorial's jwt_client on a real port,
// and refuses to start without a usable SECRET_KEY.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createVerifier } from '@jwtgate/verify';
import { decodePart, freePort, runCli, startIssuerProcess } from '../issuer/helpers.ts';

const SECRET_KEY = 'tutorial-secret-that-is-long-enough-for-hs256-0123456789';

describe('jwtgate issuer --tutorial', () => {
  test("GET / answers the tutorial's HS256 token as plain text", async () => {
    const port = await freePort();
    const issuer = startIssuerProcess(['--tutorial', `--port=${port}`], { SECRET_KEY });
    try {
      await issuer.ready;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const token = await res.text();
      assert.equal(token.split('.').length, 3);
      assert.deepEqual(decodePart(token, 0), { alg: 'HS256', typ: 'JWT' });
      const claims = decodePart(token, 1);
      assert.equal(claims.authorized, true);
      assert.equal(claims.client, 'Krissanawat');
      assert.equal(claims.aud, 'billing.jwtgo.io');
      assert.equal(claims.iss, 'jwtgo.io');
      assert.equal((claims.exp as number) - (claims.iat as number), 60);
      assert.ok(Math.abs((claims.exp as number) - (Date.now() / 1000 + 60)) < 5);
      const verifier = createVerifier({
        providers: {
          tutorial: {
            issuer: 'jwtgo.io',
            audiences: ['billing.jwtgo.io'],
            algorithms: ['HS256'],
            secret: SECRET_KEY,
          },
        },
      });
      await verifier.verify(token);
      assert.equal((await fetch(`http://127.0.0.1:${port}/token`, { method: 'POST' })).status, 404);
    } finally {
      assert.equal(await issuer.stop(), 0);
    }
  });

  for (const [label, env, expected] of [
    ['unset', {}, /SECRET_KEY is not set/],
    ['empty', { SECRET_KEY: '' }, /SECRET_KEY is empty/],
    ['short', { SECRET_KEY: 'secret' }, /SECRET_KEY is only 6 bytes/],
  ] as const) {
    test(`refuses to start with a SECRET_KEY that is ${label}, and says how to set one`, async () => {
      const r = await runCli(['issuer', '--tutorial', `--port=${await freePort()}`], {
        SECRET_KEY: undefined,
        ...env,
      });
      assert.equal(r.code, 78);
      assert.match(r.stderr, expected);
      assert.match(r.stderr, /at least 32 bytes/);
      assert.match(r.stderr, /export SECRET_KEY=/);
    });
  }

  test('HS256 is refused outside tutorial mode', async () => {
    const r = await runCli([
      'issuer',
      '--alg=HS256',
      `--port=${await freePort()}`,
      '--store=/nonexistent/never-created.db',
    ]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /HS256 is only for --tutorial/);
  });
});
