// End to end: the demo as real processes on real ports, driven over HTTP like the walkthrough.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
  const child = spawn(process.execPath, ['--conditions=jwtgate-source', CLI, 'demo', ...args], {
    env: { ...process.env, SECRET_KEY: undefined, ...env },
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

  before(async () => {
    const [a, b] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${a}`;
    gateway = `http://127.0.0.1:${b}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'jwtgate-demo-'));
    demo = startDemo([
      `--issuer-port=${a}`,
      `--gateway-port=${b}`,
      '--token-lifetime=1',
      `--data-dir=${dataDir}`,
    ]);
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
    assert.equal(payload.exp - payload.iat, 1);
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
    // A real process cannot take an injected clock: wait out the 1 s lifetime.
    await new Promise((r) => setTimeout(r, 2100));
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

  it('names the port that is already in use', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const d = startDemo([
      `--issuer-port=${port}`,
      '--gateway-port=0',
      `--data-dir=${mkdtempSync(join(tmpdir(), 'jg-'))}`,
    ]);
    d.ready.catch(() => {});
    assert.equal(await d.exited, 1);
    assert.match(d.output(), new RegExp(`port ${port} .* already in use.*--issuer-port`));
    blocker.close();
  });
});
