// Starts each example service of examples/ as a real process on a free port and checks it the way
// a client would: 401 without a token, 200 with a valid one, 403 without the required role.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { signToken } from '../../../verify/test/helpers/keys.ts';
import {
  AUDIENCE,
  type CorpKeys,
  corpToken,
  freePort,
  ISSUER,
  makeCorpKeys,
  nowSeconds,
  type Running,
  SECRET,
  startJwks,
} from './harness.ts';

const EXAMPLES = ['express', 'fastify', 'node-http'] as const;
// examples/webapp is a client, not a protected service: webapp-example.test.ts and
// login-browser.test.ts run it with an issuer and a gateway.

interface Example {
  readonly origin: string;
  stop(): Promise<void>;
}

async function startExample(name: string, env: Record<string, string>): Promise<Example> {
  const port = await freePort();
  const file = new URL(`../../../../examples/${name}/server.ts`, import.meta.url).pathname;
  const child: ChildProcess = spawn(process.execPath, ['--conditions=jwtgate-source', file], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => {
      output += c;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

function hsToken(roles: string[]): Promise<string> {
  const now = nowSeconds();
  return signToken(new TextEncoder().encode(SECRET), {
    alg: 'HS256',
    iss: 'jwtgo.io',
    aud: 'billing.jwtgo.io',
    exp: now + 300,
    claims: { iat: now, sub: 'alice', roles },
  });
}

const body = async (r: Response) => (await r.json()) as Record<string, unknown>;

const get = (url: string, token?: string) =>
  fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

for (const name of EXAMPLES) {
  describe(`examples/${name} with SECRET_KEY`, () => {
    let example: Example;
    before(async () => {
      example = await startExample(name, { SECRET_KEY: SECRET });
    });
    after(() => example.stop());

    test('401 without a token, 200 with one, 403 without the role', async () => {
      const health = await get(`${example.origin}/healthz`);
      assert.equal(health.status, 200);
      const missing = await get(`${example.origin}/me`);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await body(missing)).error, 'ERR_TOKEN_MISSING');
      const bad = await get(`${example.origin}/me`, 'not.a.token');
      assert.equal(bad.status, 401);
      assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      const user = await hsToken([]);
      const me = await get(`${example.origin}/me`, user);
      assert.equal(me.status, 200);
      assert.equal((await body(me)).sub, 'alice');
      const denied = await get(`${example.origin}/billing`, user);
      assert.equal(denied.status, 403);
      assert.equal((await body(denied)).error, 'ERR_INSUFFICIENT_ROLE');
      const billing = await get(`${example.origin}/billing`, await hsToken(['billing']));
      assert.equal(billing.status, 200);
      assert.deepEqual(await body(billing), { invoices: [], for: 'alice' });
    });
  });
}

describe('examples with JWKS_URL', () => {
  let keys: CorpKeys;
  let jwks: Running;
  before(async () => {
    keys = await makeCorpKeys();
    jwks = await startJwks(keys);
  });
  after(() => jwks.close());

  for (const name of EXAMPLES) {
    test(`examples/${name}: keys from a JWKS URL`, async () => {
      const example = await startExample(name, {
        JWKS_URL: `${jwks.origin}/jwks.json`,
        ISSUER,
        AUDIENCE,
        SECRET_KEY: '',
      });
      try {
        assert.equal((await get(`${example.origin}/me`)).status, 401);
        assert.equal(
          (await get(`${example.origin}/me`, await corpToken(keys.es, { roles: [] }))).status,
          200,
        );
        assert.equal(
          (await get(`${example.origin}/billing`, await corpToken(keys.ed, { roles: [] }))).status,
          403,
        );
        assert.equal((await get(`${example.origin}/billing`, await corpToken(keys.rs))).status, 200);
        // Signed by a key the JWKS does not publish (same kid as a published one).
        assert.equal((await get(`${example.origin}/me`, await corpToken(keys.impostor))).status, 401);
      } finally {
        await example.stop();
      }
    });
  }
});
