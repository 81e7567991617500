// End to end: `npm start` as a new user runs it (fresh data folder), then the README's walkthrough
// blocks (each marked `<!-- walkthrough -->`) run in bash exactly as written, with only the ports
// and the data folder substituted. Each command's output must match the `# ...` comment lines
// that follow it in the README (`...` stands for anything), or be empty when none follow: the
// README and the demo cannot drift apart.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, sleep } from './harness.ts';
import { bashSession, markedBlocks, type ShellCommand } from './shell-blocks.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** Tutorial tokens live this long in the test, so step 4 sees one expire. */
const TOKEN_LIFETIME = 3;

describe('the README walkthrough against `npm start`', () => {
  const blocks = markedBlocks(README, 'walkthrough');
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtgate-walkthrough-'));
  let demo: ChildProcess;
  let output = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let ports: { issuer: number; gateway: number };
  let startMs = 0;
  const shell = bashSession();
  const adapt = (line: string) =>
    line
      .replaceAll('localhost:8080', `localhost:${ports.issuer}`)
      .replaceAll('localhost:9001', `localhost:${ports.gateway}`)
      .replaceAll('.data/demo', dataDir);

  before(async () => {
    ports = { issuer: await freePort(), gateway: await freePort() };
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.SECRET_KEY;
    delete env.JWTGATE_KEY_ENCRYPTION_KEY;
    const started = performance.now();
    // Its own process group, so Ctrl-C can be sent the way a terminal does: to npm and node alike.
    demo = spawn(
      'npm',
      [
        'start',
        '--',
        `--issuer-port=${ports.issuer}`,
        `--gateway-port=${ports.gateway}`,
        `--token-lifetime=${TOKEN_LIFETIME}`,
        `--data-dir=${dataDir}`,
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    exited = new Promise((resolve) => demo.on('exit', (code, signal) => resolve({ code, signal })));
    demo.stdout?.on('data', (d) => {
      output += d;
    });
    demo.stderr?.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 30_000;
    while (!output.includes('"msg":"ready"')) {
      if (demo.exitCode !== null) throw new Error(`npm start exited with ${demo.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start never got ready:\n${output}`);
      await sleep(10);
    }
    startMs = performance.now() - started;
  });

  after(async () => {
    await shell.close();
    if (demo.exitCode === null && demo.signalCode === null) {
      try {
        process.kill(-(demo.pid as number), 'SIGINT');
      } catch {
        // already gone
      }
    }
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('npm start gets ready in under 10 seconds and prints the walkthrough', (t) => {
    t.diagnostic(`npm start -> ready: ${startMs.toFixed(0)} ms`);
    assert.ok(startMs < 10_000, `ready after ${startMs.toFixed(0)} ms`);
    assert.match(output, new RegExp(`TOKEN=\\$\\(curl -s http://localhost:${ports.issuer}\\)`));
    assert.match(output, /demo-client/);
  });

  test('the README holds the seven walkthrough blocks (steps 1 to 5)', () => {
    assert.equal(blocks.length, 7);
    assert.ok(blocks.every((b) => b.length > 0));
  });

  /** Runs one block as written (ports and data folder substituted), checking each output. */
  const runBlock = (index: number) => shell.runBlock(blocks[index] as ShellCommand[], adapt);

  let tokenAt = 0;

  test('1. curl http://localhost:8080 prints a token', async () => {
    await runBlock(0);
    tokenAt = Date.now();
    const { output: token } = await shell.run('printf %s "$TOKEN"');
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test('2. without a token: 401 No Authorization Token provided', async () => {
    await runBlock(1);
    const res = await fetch(`http://127.0.0.1:${ports.gateway}/`);
    assert.equal(res.status, 401);
  });

  test('3. with the Token header and with Bearer: Super Secret Information', async () => {
    await runBlock(2);
  });

  test('4. once the token has expired: 401 with an expiry message', async () => {
    await sleep(Math.max(0, tokenAt + (TOKEN_LIFETIME + 1) * 1000 - Date.now()));
    await runBlock(3);
  });

  test('5. client credentials with roles: /billing allowed, /inventory 403', async () => {
    await runBlock(4);
    const { output: at } = await shell.run('printf %s "$AT"');
    const header = JSON.parse(Buffer.from(at.split('.')[0] as string, 'base64url').toString());
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'at+jwt');
    const res = await fetch(`http://127.0.0.1:${ports.gateway}/inventory`, {
      headers: { authorization: `Bearer ${at}` },
    });
    assert.equal(res.status, 403);
  });

  test('5. the gateway verifies with the published ES256 public key, no shared secret', async () => {
    const [jwks] = await runBlock(5);
    const { keys } = JSON.parse(jwks as string) as { keys: Record<string, unknown>[] };
    assert.ok(keys.every((k) => k.alg === 'ES256' && !('d' in k)));
  });

  test('5. a revoked token is denied at the next call', async () => {
    await runBlock(6);
  });

  test('the logs never show a token, and Ctrl-C stops everything cleanly', async () => {
    for (const name of ['TOKEN', 'AT']) {
      const { output: token } = await shell.run(`printf %s "$${name}"`);
      assert.ok(!output.includes(token.split('.')[2] as string), `no ${name} signature in the logs`);
    }
    process.kill(-(demo.pid as number), 'SIGINT');
    const { code, signal } = await exited;
    // npm itself ends by the signal it forwards (a shell shows 130); the demo under it stops cleanly.
    assert.ok(code === 0 || signal === 'SIGINT', `npm exited with ${code ?? signal}`);
    assert.match(output, /"msg":"stopped"/);
    for (const port of [ports.issuer, ports.gateway])
      await assert.rejects(fetch(`http://127.0.0.1:${port}/`), `nothing listens on ${port} any more`);
  });
});
