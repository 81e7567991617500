// `jwtgate login`: the device flow from the command line against a real `jwtgate issuer` process,
// the user's browser part driven over HTTP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addUser } from '../../../src/issuer/admin/manage-users.ts';
import {
  CLI,
  decodePart,
  freePort,
  type IssuerProcess,
  openTempStore,
  runCli,
  startIssuerProcess,
  tempDir,
} from '../../issuer/helpers.ts';
import { browse, CookieJar } from '../../issuer/login/login-helpers.ts';

const API = 'https://api.example';

describe('jwtgate login: the device flow from the command line', () => {
  const tmp = tempDir();
  const store = join(tmp.dir, 'issuer.db');
  let issuer: IssuerProcess | undefined;
  let url = '';
  const PASSWORD = 'login command test password';

  before(async () => {
    const created = await runCli([
      'clients',
      'add',
      'cli',
      '--auth-method',
      'none',
      '--application-type',
      'native',
      '--grant-type',
      'device_code',
      '--audience',
      API,
      `--store=${store}`,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const db = await openTempStore(store);
    await addUser(db, { username: 'alice', password: PASSWORD }, 'test');
    await db.close();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    issuer = startIssuerProcess(['--port', String(port), `--store=${store}`, '--device-poll-interval', '1']);
    await issuer.ready;
  });
  after(async () => {
    await issuer?.stop();
    tmp.remove();
  });

  /** `jwtgate login ...` in the background; resolves the code it prints, then its end. */
  function login(args: string[]) {
    const child = spawn(process.execPath, ['--conditions=jwtgate-source', CLI, 'login', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let seen: (code: string) => void = () => {};
    const code = new Promise<string>((resolve) => {
      seen = resolve;
    });
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /enter the code (\S+)/.exec(stderr);
      if (m) seen(m[1] as string);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('exit', (exit) => {
        clearTimeout(timer);
        resolve({ code: exit, stdout, stderr });
      }),
    );
    return { code, done };
  }

  async function userDecides(userCode: string, decision: 'approve' | 'cancel') {
    const jar = new CookieJar();
    const xsrf = (html: string) => /name="xsrf" value="([^"]+)"/.exec(html)?.[1] as string;
    const page = await browse(jar, `${url}/device`);
    const confirm = await browse(jar, `${url}/device`, {
      form: { xsrf: xsrf(page.text), user_code: userCode },
    });
    if (decision === 'cancel') {
      await browse(jar, `${url}/device`, {
        form: { xsrf: xsrf(confirm.text), user_code: userCode, abort: 'yes' },
      });
      return;
    }
    const confirmed = await browse(jar, `${url}/device`, {
      form: { xsrf: xsrf(confirm.text), user_code: userCode, confirm: 'yes' },
    });
    const loginUrl = new URL(confirmed.location as string, url).href;
    const form = await browse(jar, loginUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] as string;
    let next = await browse(jar, loginUrl, { form: { username: 'alice', password: PASSWORD, csrf } });
    for (let i = 0; i < 6 && next.location !== null; i++)
      next = await browse(jar, new URL(next.location, url).href);
    assert.match(next.text, /Device connected/);
  }

  test('prints the access token once the user approved', async () => {
    const run = login(['--issuer', url, '--client', 'cli', '--scope', 'openid']);
    await userDecides(await run.code, 'approve');
    const out = await run.done;
    assert.equal(out.code, 0, out.stderr);
    const claims = decodePart(out.stdout.trim(), 1);
    assert.equal(claims.client_id, 'cli');
    assert.equal(claims.aud, API);
    assert.match(out.stderr, /Signed in as usr_/);
  });

  test('--json prints the whole answer; a refusal exits 1 with the reason', async () => {
    const denied = login(['--issuer', url, '--client', 'cli', '--scope', 'openid', '--json']);
    await userDecides(await denied.code, 'cancel');
    const out = await denied.done;
    assert.equal(out.code, 1);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /jwtgate: not signed in: the sign-in was refused in the browser/);
  });

  test('wrong usage: an http issuer elsewhere, a missing client', async () => {
    const http = await runCli(['login', '--issuer', 'http://id.example', '--client', 'cli']);
    assert.equal(http.code, 2);
    assert.match(http.stderr, /plain http only to this machine/);
    const missing = await runCli(['login', '--issuer', url]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--client/);
    const unknown = await runCli(['login', '--issuer', url, '--client', 'nobody']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not signed in: invalid_client/);
  });
});
