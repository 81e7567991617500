import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { jwtVerify } from 'jose';
import { createTutorialHandler, readTutorialSecret } from '../../../src/issuer/tutorial/tutorial-server.ts';
import { mintTutorialToken, TUTORIAL } from '../../../src/issuer/tutorial/tutorial-token.ts';
import { silent } from '../helpers.ts';

const SECRET = 'x'.repeat(32);

describe('tutorial mode', () => {
  test('readTutorialSecret: 32 bytes or more, otherwise a message that says how to set one', () => {
    assert.equal(readTutorialSecret({ SECRET_KEY: SECRET }), SECRET);
    for (const [env, text] of [
      [{}, /is not set/],
      [{ SECRET_KEY: '' }, /is empty/],
      [{ SECRET_KEY: 'x'.repeat(31) }, /is only 31 bytes/],
    ] as const) {
      assert.throws(
        () => readTutorialSecret(env),
        (err: Error & { code?: string }) =>
          err.code === 'ERR_ISSUER_CONFIG' && text.test(err.message) && /openssl rand/.test(err.message),
      );
    }
  });

  test('mintTutorialToken: the tutorial claims, exp one lifetime ahead', async () => {
    const token = await mintTutorialToken(SECRET, 60, 1_800_000_000_000);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      currentDate: new Date(1_800_000_000_000),
    });
    assert.equal(protectedHeader.alg, 'HS256');
    assert.deepEqual(payload, {
      authorized: true,
      client: TUTORIAL.client,
      aud: 'billing.jwtgo.io',
      iss: 'jwtgo.io',
      iat: 1_800_000_000,
      exp: 1_800_000_060,
    });
  });

  test('the handler serves GET / only', async () => {
    const server = createServer(createTutorialHandler(SECRET, silent));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const res = await fetch(`${url}/`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      await jwtVerify(await res.text(), new TextEncoder().encode(SECRET));
      assert.equal((await fetch(`${url}/other`)).status, 404);
      assert.equal((await fetch(`${url}/`, { method: 'POST' })).status, 404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
