// End to end: `jwtgate demo` as a real process on real ports: the tutorial's token and the OAuth
// endpoints on one issuer port, the gateway in front of the services, what the data folder keeps,
// a restart on the same folder, and the start-up errors. The README's walkthrough itself runs in
// walkthrough.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function startDemo(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.SECRET_KEY;
  delete base.JWTGATE_KEY_ENCRYPTION_KEY;
  const child = spawn(process.execPath, ['--conditions=jwtgate-source', CLI, 'demo', ...args], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (output.includes('"msg":"ready"')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`demo exited with ${code}: ${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => output };
}

describe('jwtgate demo', () => {
  let demo: ReturnType<typeof startDemo>;
  let issuer: string;
  let gateway: string;
  let args: string[];
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtgate-demo-'));

  before(async () => {
    const [a, b] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${a}`;
    gateway = `http://127.0.0.1:${b}`;
    args = [`--issuer-port=${a}`, `--gateway-port=${b}`, '--token-lifetime=2', `--data-dir=${dataDir}`];
    demo = startDemo(args);
    await demo.ready;
  });

  after(async () => {
    demo.child.kill('SIGINT');
    assert.equal(await demo.exited, 0, 'Ctrl-C stops the demo cleanly');
  });

  it('issues the tutorial token as plain text', async () => {
    const res = await fetch(issuer);
    assert.equal(res.status, 200);
    const token = await res.text();
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()));
    assert.equal(header.alg, 'HS256');
    assert.equal(payload.iss, 'jwtgo.io');
    assert.equal(payload.aud, 'billing.jwtgo.io');
    assert.equal(payload.authorized, true);
    assert.equal(payload.exp - payload.iat, 2);
  });

  it('answers 401 "No Authorization Token provided" without a token', async () => {
    const res = await fetch(gateway);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assert.equal(((await res.json()) as { message: string }).message, 'No Authorization Token provided');
  });

  it('answers "Super Secret Information" with the Token header and with Bearer, then 401 once expired', async () => {
    const token = await (await fetch(issuer)).text();
    for (const headers of [{ Token: token }, { Authorization: `Bearer ${token}` }]) {
      const res = await fetch(gateway, { headers });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'Super Secret Information');
    }
    // A real process cannot take an injected clock: wait out the 2 s lifetime.
    await new Promise((r) => setTimeout(r, 3100));
    const res = await fetch(gateway, { headers: { Token: token } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal(((await res.json()) as { error: string }).error, 'ERR_TOKEN_EXPIRED');
  });

  it('refuses a forged token and never logs a token', async () => {
    const token = await (await fetch(issuer)).text();
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
    const res = await fetch(gateway, { headers: { Token: forged } });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'ERR_SIGNATURE_INVALID');
    assert.ok(!demo.output().includes(token.split('.')[2] as string), 'no signature in the logs');
  });

  it('serves the OAuth endpoints on the issuer port next to the tutorial token', async () => {
    const meta = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as {
      issuer: string;
      token_endpoint: string;
    };
    assert.equal(meta.issuer, issuer);
    assert.equal(meta.token_endpoint, `${issuer}/token`);
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 400, 'no client credentials, no token');
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
  });

  it('keeps its secrets, keys and config in the data folder, readable only by the user', () => {
    for (const name of ['secret-key', 'key-encryption-key', 'demo-client-secret']) {
      assert.equal(statSync(join(dataDir, name)).mode & 0o077, 0, `${name} is private`);
    }
    assert.ok(statSync(join(dataDir, 'issuer.db')).size > 0);
    const config = readFileSync(join(dataDir, 'gateway.yaml'), 'utf8');
    assert.match(config, /secret: \$\{SECRET_KEY\}/, 'the secret itself is never written into the config');
    assert.match(config, /feed: http:\/\/127\.0\.0\.1:\d+/);
    const secret = readFileSync(join(dataDir, 'demo-client-secret'), 'utf8').trim();
    assert.ok(!demo.output().includes(secret), 'the client secret is never printed');
    assert.match(demo.output(), /client secret, created now/);
  });

  it('restarts on the same data folder with the same secrets and client', async () => {
    demo.child.kill('SIGINT');
    assert.equal(await demo.exited, 0, 'Ctrl-C stops the demo cleanly');
    const secret = readFileSync(join(dataDir, 'demo-client-secret'), 'utf8').trim();
    demo = startDemo(args);
    await demo.ready;
    assert.ok(!demo.output().includes(secret), 'the client secret is never printed');
    assert.match(demo.output(), /created on an earlier start/);
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`demo-client:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 200);
    const { access_token } = (await res.json()) as { access_token: string };
    const billing = await fetch(`${gateway}/billing/invoices`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    assert.equal(billing.status, 200);
    assert.match(await billing.text(), /X-User-Id=demo-client .*X-User-Roles=billing path=\/invoices/);
  });
});

describe('jwtgate demo on every address (JWTGATE_HOST=0.0.0.0, as in the container image)', () => {
  it('listens on 0.0.0.0, names the issuer by a loopback URL, and the gateway verifies its tokens', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const dataDir = mkdtempSync(join(tmpdir(), 'jwtgate-demo-any-'));
    const d = startDemo([`--issuer-port=${a}`, `--gateway-port=${b}`, `--data-dir=${dataDir}`], {
      JWTGATE_HOST: '0.0.0.0',
    });
    try {
      await d.ready;
      const meta = (await (
        await fetch(`http://127.0.0.1:${a}/.well-known/oauth-authorization-server`)
      ).json()) as {
        issuer: string;
      };
      assert.equal(meta.issuer, `http://127.0.0.1:${a}`);
      const secret = readFileSync(join(dataDir, 'demo-client-secret'), 'utf8').trim();
      const res = await fetch(`http://127.0.0.1:${a}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`demo-client:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&resource=api://demo',
      });
      const { access_token } = (await res.json()) as { access_token: string };
      const billing = await fetch(`http://127.0.0.1:${b}/billing`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      assert.equal(billing.status, 200);
      assert.match(d.output(), new RegExp(`TOKEN=\\$\\(curl -s http://localhost:${a}\\)`));
    } finally {
      d.child.kill('SIGTERM');
      assert.equal(await d.exited, 0);
    }
  });
});

describe('jwtgate demo start-up errors', () => {
  it('refuses an empty or short SECRET_KEY and says how to set one', async () => {
    for (const secret of ['', 'unicorns']) {
      const d = startDemo(['--issuer-port=0', '--gateway-port=0'], { SECRET_KEY: secret });
      d.ready.catch(() => {});
      assert.equal(await d.exited, 78);
      assert.match(d.output(), /SECRET_KEY/);
      assert.match(d.output(), /openssl rand/);
    }
  });

  it('names the port that is already in use, in one line', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    for (const flag of ['--issuer-port', '--gateway-port']) {
      const other = flag === '--issuer-port' ? '--gateway-port' : '--issuer-port';
      const d = startDemo([
        `${flag}=${port}`,
        `${other}=0`,
        `--data-dir=${mkdtempSync(join(tmpdir(), 'jg-'))}`,
      ]);
      d.ready.catch(() => {});
      assert.equal(await d.exited, 1);
      assert.match(d.output(), new RegExp(`^jwtgate: port ${port} .* already in use.*${flag}\n$`));
    }
    blocker.close();
  });
});
