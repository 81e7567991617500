// examples/cli-device/README.md as written: its `<!-- device-example -->` block runs in bash from
// the repository root, with only the issuer's port and the data folder substituted. The last
// command (the example, waiting for the user) runs while the user's part is done over HTTP, as
// someone at a browser would; then the token it wrote is checked, and the issuer is stopped with
// `kill %1` as the README says.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { decodePart, freePort, sleep } from '../issuer/helpers.ts';
import { browse, CookieJar } from '../issuer/login/login-helpers.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'examples/cli-device/README.md'), 'utf8');

/** One bash session, so `&` jobs and `kill %1` work as in a terminal. */
function bashSession(cwd: string) {
  const bash: ChildProcess = spawn('bash', ['--noprofile', '--norc'], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  bash.stdout?.on('data', (d) => {
    out += d;
  });
  bash.stderr?.on('data', (d) => {
    out += d;
  });
  let n = 0;
  return {
    async run(line: string, timeoutMs = 30_000): Promise<{ output: string; status: number }> {
      const marker = `@@done-${++n}@@`;
      out = '';
      bash.stdin?.write(`${line}\nprintf '\\n${marker} %d\\n' $?\n`);
      const deadline = Date.now() + timeoutMs;
      const end = new RegExp(`\\n?${marker} (\\d+)\\n`);
      for (;;) {
        const m = end.exec(out);
        if (m) return { output: out.slice(0, m.index), status: Number(m[1]) };
        if (Date.now() > deadline) throw new Error(`timed out running: ${line}\n${out}`);
        await sleep(20);
      }
    },
    close: () => bash.stdin?.end(),
  };
}

describe('examples/cli-device/README.md, run as written', { timeout: 120_000 }, () => {
  const block = /<!-- device-example -->\n```sh\n([\s\S]*?)```/.exec(README)?.[1];
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtgate-cli-device-readme-'));
  const shell = bashSession(ROOT);
  after(async () => {
    await shell.run('kill %1 2>/dev/null; wait', 10_000).catch(() => {});
    shell.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the block registers the client and the user, starts the issuer, and the example signs in', async () => {
    assert.ok(block, 'the README has its device-example block');
    const port = await freePort();
    const adapt = (line: string) =>
      line
        .replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)
        .replaceAll('--port 8080', `--port ${port}`)
        .replaceAll('.data/cli-device', dataDir);
    const lines = (block as string).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    assert.equal(lines.length, 4, 'the client, user, issuer, example');
    const [client, user, issuer, example] = lines.map(adapt) as [string, string, string, string];
    const password = /printf '([^']+)\\n'/.exec(user)?.[1] as string;

    const added = await shell.run(client);
    assert.equal(added.status, 0, added.output);
    assert.match(added.output, /client cli-device created \(public: no secret\)/);
    const userAdded = await shell.run(user);
    assert.equal(userAdded.status, 0, userAdded.output);
    assert.equal((await shell.run(issuer)).status, 0);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error(readFileSync(join(dataDir, 'issuer.log'), 'utf8'));
      await sleep(100);
    }

    // The example waits for the user: its own bash, its prompt read from standard error.
    const child = spawn('bash', ['--noprofile', '--norc', '-c', example], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const prompt = new Promise<{ uri: string; code: string }>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /open (\S+) in a browser and enter the code (\S+)/.exec(stderr);
        if (m) resolve({ uri: m[1] as string, code: m[2] as string });
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const { uri, code } = await prompt;
    assert.match(stderr, /the code expires in 600 s/);

    // The user's part, as in a browser: the code, the confirm page, the login page.
    const jar = new CookieJar();
    const xsrf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] as string;
    const page = await browse(jar, uri);
    const confirm = await browse(jar, uri, { form: { xsrf: xsrf(page.text), user_code: code } });
    const confirmed = await browse(jar, uri, {
      form: { xsrf: xsrf(confirm.text), user_code: code, confirm: 'yes' },
    });
    const loginUrl = new URL(confirmed.location as string, uri).href;
    const form = await browse(jar, loginUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] as string;
    let next = await browse(jar, loginUrl, { form: { username: 'alice', password, csrf } });
    for (let i = 0; i < 6 && next.location !== null; i++)
      next = await browse(jar, new URL(next.location, uri).href);
    assert.match(next.text, /Device connected/);

    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /Signed in as usr_/);
    const claims = decodePart(readFileSync(join(dataDir, 'token'), 'utf8').trim(), 1);
    assert.equal(claims.aud, 'https://api.example');
    assert.deepEqual(claims.roles, ['reader']);
    assert.equal(claims.client_id, 'cli-device');
  });
});
