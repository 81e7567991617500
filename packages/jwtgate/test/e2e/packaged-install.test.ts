// End to end: the packages as a user gets them. Both are packed (`npm pack` runs their build),
// the tarballs are installed into an empty folder and into a global prefix, and the installed
// `jwtgate` runs on the repository's Node 24 with nothing from the repository: `--version`,
// `check` on the example configuration, and from the global install the README walkthrough
// against `jwtgate demo`, the gateway on the demo's generated configuration as its header says,
// `jwtgate issuer`, and the other commands the docs give. Only compiled JavaScript is loaded from
// node_modules (Node refuses to strip types there).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, sleep } from './harness.ts';
import { bashSession, markedBlocks, type ShellCommand } from './shell-blocks.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'packages/jwtgate/package.json'), 'utf8')) as {
    version: string;
  }
).version;
/** The Node 24 this test runs on (the repository's `node` package): first on PATH for `#!/usr/bin/env node`. */
const NODE_DIR = dirname(realpathSync(process.execPath));

interface PackResult {
  readonly name: string;
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly entryCount: number;
  readonly files: readonly { path: string }[];
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  return new Promise<Run>((resolve) => {
    execFile(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** The environment of a user's shell: the repository's Node 24 first on PATH, nothing of jwtgate's own. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const name of ['NODE_OPTIONS', 'SECRET_KEY', 'JWTGATE_KEY_ENCRYPTION_KEY', 'JWTGATE_ADMIN_TOKEN'])
    if (!(name in extra)) delete env[name];
  env.PATH = [NODE_DIR, ...(process.env.PATH ?? '').split(delimiter)].join(delimiter);
  return env;
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

function startServer(
  bin: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  ready: RegExp,
) {
  const child: ChildProcess = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = (async () => {
    const deadline = Date.now() + 30_000;
    while (!ready.test(output)) {
      if (child.exitCode !== null) throw new Error(`${args[0]} exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`${args[0]} never got ready:\n${output}`);
      await sleep(20);
    }
  })();
  return {
    child,
    started,
    output: () => output,
    async stop(): Promise<number | null> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('the packed packages, installed with npm', () => {
  const work = mkdtempSync(join(tmpdir(), 'jwtgate-packaged-'));
  const packs = join(work, 'packs');
  const app = join(work, 'app');
  const global = join(work, 'global');
  let packed: PackResult[] = [];
  let jwtgate: string;

  before(async () => {
    mkdirSync(packs);
    mkdirSync(app);
    const pack = await run(
      'npm',
      [
        'pack',
        '--workspace',
        '@jwtgate/verify',
        '--workspace',
        'jwtgate',
        '--pack-destination',
        packs,
        '--json',
      ],
      { cwd: ROOT, env: process.env },
    );
    assert.equal(pack.code, 0, `npm pack failed:\n${pack.stderr}`);
    packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as PackResult[];
    const tarballs = packed.map((p) => join(packs, p.filename));
    const install = ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs];
    const local = await run('npm', install, { cwd: app, env: process.env });
    assert.equal(local.code, 0, `npm install failed:\n${local.stderr}`);
    const globally = await run('npm', [...install, '--global', '--prefix', global], {
      cwd: work,
      env: process.env,
    });
    assert.equal(globally.code, 0, `npm install --global failed:\n${globally.stderr}`);
    jwtgate = join(app, 'node_modules/.bin/jwtgate');
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  test('the tarballs hold compiled JavaScript, .d.ts and the licence; no tests, no TypeScript sources', (t) => {
    assert.deepEqual(packed.map((p) => p.name).sort(), ['@jwtgate/verify', 'jwtgate']);
    for (const p of packed) {
      const paths = p.files.map((f) => f.path);
      t.diagnostic(
        `${p.filename}: ${p.size} bytes packed, ${p.unpackedSize} unpacked, ${p.entryCount} files`,
      );
      assert.deepEqual(
        paths.filter((f) => /(^|\/)test\/|\.test\.|(?<!\.d)\.ts$/.test(f)),
        [],
        `${p.name} ships no test or .ts source`,
      );
      assert.ok(paths.includes('LICENSE') && paths.includes('package.json'));
      assert.ok(
        paths.some((f) => f.endsWith('.d.ts')),
        `${p.name} ships .d.ts`,
      );
      const manifest = JSON.parse(
        readFileSync(
          join(ROOT, p.name === 'jwtgate' ? 'packages/jwtgate' : 'packages/verify', 'package.json'),
          'utf8',
        ),
      ) as { private?: boolean };
      assert.notEqual(manifest.private, true, `${p.name} is not private`);
    }
    const cli = packed.find((p) => p.name === 'jwtgate')?.files.map((f) => f.path) ?? [];
    assert.ok(cli.includes('dist/bin/jwtgate.js') && cli.includes('dist/cli.js'));
    assert.ok(cli.includes('schema/jwtgate.schema.json'), 'the published config schema ships');
    const verify = packed.find((p) => p.name === '@jwtgate/verify')?.files.map((f) => f.path) ?? [];
    for (const entry of ['index', 'adapters/express', 'adapters/fastify', 'adapters/node-http'])
      assert.ok(verify.includes(`dist/${entry}.js`) && verify.includes(`dist/${entry}.d.ts`), entry);
  });

  test('what is installed of jwtgate holds no TypeScript to strip', () => {
    for (const dir of ['node_modules/jwtgate', 'node_modules/@jwtgate/verify']) {
      const files = filesUnder(join(app, dir));
      assert.ok(files.length > 50, `${dir} is installed`);
      assert.deepEqual(
        files.filter((f) => /\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f)),
        [],
      );
    }
    assert.ok(!existsSync(join(app, 'node_modules/jwtgate/src')));
  });

  test('jwtgate --version, locally and globally installed', async () => {
    const local = await run(jwtgate, ['--version'], { cwd: app, env: userEnv() });
    assert.equal(local.code, 0, local.stderr);
    assert.equal(local.stdout.trim(), VERSION);
    const globally = await run(join(global, 'bin/jwtgate'), ['--version'], { cwd: work, env: userEnv() });
    assert.equal(globally.code, 0, globally.stderr);
    assert.equal(globally.stdout.trim(), VERSION);
  });

  test('jwtgate check on the example configuration: 78 without SECRET_KEY, valid with it', async () => {
    copyFileSync(join(ROOT, 'examples/gateway/jwtgate.yaml'), join(app, 'jwtgate.yaml'));
    const missing = await run(jwtgate, ['check', '-c', 'jwtgate.yaml'], { cwd: app, env: userEnv() });
    assert.equal(missing.code, 78);
    assert.match(missing.stderr, /SECRET_KEY is not set/);
    const env = userEnv({ SECRET_KEY: 'a'.repeat(48) });
    const valid = await run(jwtgate, ['check', '-c', 'jwtgate.yaml'], { cwd: app, env });
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /jwtgate\.yaml is valid: 2 provider\(s\), 3 route\(s\)/);
  });

  test('the README walkthrough against jwtgate demo from the global install', async (t) => {
    const ports = { issuer: await freePort(), gateway: await freePort() };
    const demo = startServer(
      join(global, 'bin/jwtgate'),
      ['demo', `--issuer-port=${ports.issuer}`, `--gateway-port=${ports.gateway}`, '--token-lifetime=3'],
      { cwd: app, env: userEnv() },
      /"msg":"ready"/,
    );
    const shell = bashSession({ cwd: app, env: userEnv() });
    try {
      await demo.started;
      const adapt = (line: string) =>
        line
          .replaceAll('localhost:8080', `localhost:${ports.issuer}`)
          .replaceAll('localhost:9001', `localhost:${ports.gateway}`);
      const blocks = markedBlocks(README, 'walkthrough');
      assert.equal(blocks.length, 7);
      await shell.runBlock(blocks[0] as ShellCommand[], adapt);
      const tokenAt = Date.now();
      await shell.runBlock(blocks[1] as ShellCommand[], adapt);
      await shell.runBlock(blocks[2] as ShellCommand[], adapt);
      await sleep(Math.max(0, tokenAt + 4000 - Date.now()));
      for (const block of blocks.slice(3)) await shell.runBlock(block, adapt);
      assert.ok(
        existsSync(join(app, '.data/demo/issuer.db')),
        'the demo keeps its data in the current folder',
      );
    } finally {
      await shell.close();
      assert.equal(await demo.stop(), 0, 'SIGTERM stops the demo cleanly');
      t.diagnostic('walkthrough passed against the installed demo');
    }
  });

  test("jwtgate gateway (global install) runs on the demo's generated gateway.yaml as its header says", async () => {
    const ports = { issuer: await freePort(), gateway: await freePort() };
    const demo = startServer(
      jwtgate,
      ['demo', '--no-gateway', `--issuer-port=${ports.issuer}`, `--gateway-port=${ports.gateway}`],
      { cwd: app, env: userEnv() },
      /"msg":"ready"/,
    );
    // The header's command finds `jwtgate` on PATH: the global install's.
    const binDir = join(global, 'bin');
    const shell = bashSession({
      cwd: app,
      env: { ...userEnv(), PATH: `${binDir}${delimiter}${userEnv().PATH}` },
    });
    try {
      await demo.started;
      const header = readFileSync(join(app, '.data/demo/gateway.yaml'), 'utf8').split('\n');
      const command = header.find((l) => l.startsWith('#   '))?.slice(4) ?? '';
      assert.match(command, /^SECRET_KEY="\$\(cat .*secret-key\)" jwtgate gateway -c .*gateway\.yaml$/);
      assert.ok(demo.output().includes(command), 'the demo prints the same command');
      await shell.run(`${command} > gateway.log 2>&1 &`);
      const deadline = Date.now() + 20_000;
      let status = 0;
      while (Date.now() < deadline) {
        status = await fetch(`http://127.0.0.1:${ports.gateway}/`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 0) break;
        await sleep(50);
      }
      assert.equal(status, 401, 'the gateway answers: no token, 401');
      const token = await (await fetch(`http://127.0.0.1:${ports.issuer}/`)).text();
      const res = await fetch(`http://127.0.0.1:${ports.gateway}/`, { headers: { Token: token } });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'Super Secret Information');
    } finally {
      await shell.close();
      assert.equal(await demo.stop(), 0);
    }
  });

  test('jwtgate issuer from the global install: a client, a token, /healthz', async () => {
    const port = await freePort();
    const bin = join(global, 'bin/jwtgate');
    const store = join(work, 'issuer.db');
    const env = userEnv();
    const added = await run(
      bin,
      ['clients', 'add', 'svc', '--audience', 'api://x', '--store', store, '--json'],
      {
        cwd: work,
        env,
      },
    );
    assert.equal(added.code, 0, added.stderr);
    const secret = (JSON.parse(added.stdout) as { client_secret: string }).client_secret;
    const issuer = startServer(
      bin,
      ['issuer', `--port=${port}`, `--store=${store}`],
      { cwd: work, env },
      /ready/,
    );
    try {
      await issuer.started;
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      // The passkey pages' scripts are read from the installed dependencies.
      for (const asset of ['/assets/simplewebauthn-browser.js', '/assets/passkey.js']) {
        const js = await fetch(`http://127.0.0.1:${port}${asset}`);
        assert.equal(js.status, 200, asset);
        assert.match(js.headers.get('content-type') ?? '', /javascript/, asset);
        assert.ok((await js.text()).length > 500, asset);
      }
      const res = await fetch(`http://127.0.0.1:${port}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&resource=api://x',
      });
      assert.equal(res.status, 200);
      const { access_token } = (await res.json()) as { access_token: string };
      assert.equal(access_token.split('.').length, 3);
    } finally {
      assert.equal(await issuer.stop(), 0);
    }
  });

  test('the commands the docs give run from the global install, as typed (docs/issuer.md, examples, README)', async () => {
    // Each line as the docs print it, in a shell whose PATH has the global install's bin first; the
    // store from JWTGATE_STORE, as a Kubernetes Secret would give it.
    const env = userEnv({
      SECRET_KEY: 'b'.repeat(48),
      JWTGATE_STORE: join(work, 'docs-commands.db'),
      PASSWORD: 'correct horse battery staple',
    });
    env.PATH = `${join(global, 'bin')}${delimiter}${env.PATH}`;
    const sh = (line: string) => run('bash', ['-ec', line], { cwd: work, env });
    const ok = async (line: string, expect?: RegExp) => {
      const r = await sh(line);
      assert.equal(r.code, 0, `${line}\n${r.stderr}`);
      if (expect) assert.match(r.stdout + r.stderr, expect, line);
      return r;
    };
    assert.match((await ok('command -v jwtgate')).stdout, new RegExp(`^${global}/bin/jwtgate`));

    // examples/*/README.md, docs/using-verify.md: a development token, then decode and verify it.
    const mint = await ok(
      `jwtgate token mint --secret-env SECRET_KEY --iss jwtgo.io --aud billing.jwtgo.io --sub alice --claim 'roles=["billing"]'`,
    );
    assert.match(mint.stderr, /warning: jwtgate token mint is for development and tests/);
    const token = mint.stdout.trim();
    assert.equal(token.split('.').length, 3);
    await ok(`jwtgate token decode "${token}"`, /"sub": ?"alice"/);
    await ok(`jwtgate token verify "${token}" --secret-env SECRET_KEY --iss jwtgo.io --aud billing.jwtgo.io`);
    const wrongAud = await sh(
      `jwtgate token verify "${token}" --secret-env SECRET_KEY --iss jwtgo.io --aud other`,
    );
    assert.equal(wrongAud.code, 1, 'an invalid token exits 1');

    // docs/issuer.md: users.
    await ok(
      `jwtgate users add alice --email alice@example.com --roles webapp=billing,reader '*=staff' --admin`,
    );
    await ok(`printf '%s\\n' "$PASSWORD" | jwtgate users add bob --password-stdin`);
    const list = await ok('jwtgate users list --json');
    assert.deepEqual((JSON.parse(list.stdout) as { username: string }[]).map((u) => u.username).sort(), [
      'alice',
      'bob',
    ]);
    await ok('jwtgate users show alice', /staff/);
    await ok('jwtgate users set-roles alice webapp=billing api=');
    await ok('jwtgate users disable alice');
    await ok('jwtgate users enable alice');
    await ok('jwtgate users require-mfa alice');
    await ok('jwtgate users require-mfa alice --off');
    await ok('jwtgate users reset-mfa alice');
    await ok(`printf '%s\\n' "$PASSWORD-2" | jwtgate users reset-password bob --password-stdin`);
    await ok('jwtgate users remove alice');
    assert.doesNotMatch((await ok('jwtgate users list')).stdout, /alice/);

    // Clients, keys and revocations (docs/issuer.md, README's CLI list).
    await ok(`jwtgate clients add webapp --name "Web App" --audience https://api.example \\
  --grant-type authorization_code,refresh_token \\
  --redirect-uri https://app.example/callback,https://app.example/signed-out`);
    await ok(`jwtgate clients add spa --name "Single-page app" --auth-method none --audience https://api.example \\
  --grant-type authorization_code,refresh_token \\
  --redirect-uri https://app.example/callback --web-origin https://app.example
jwtgate clients add desktop --auth-method none --application-type native --audience https://api.example \\
  --grant-type authorization_code,refresh_token \\
  --redirect-uri http://127.0.0.1/callback,com.example.desktop:/oauth2redirect`);
    await ok('jwtgate clients update spa --web-origin https://app.example,https://beta.app.example');
    await ok('jwtgate clients list', /^spa\s/m);
    await ok('jwtgate keys generate --alg EdDSA --json', /"kty": ?"OKP"/);
    await ok('jwtgate keys rotate');
    await ok('jwtgate keys list', /ES256/);
    await ok('jwtgate tokens revoke some-token-id');
    await ok('jwtgate login --help', /--issuer <url>/);
  });

  test('on a Node.js older than 24 the installed jwtgate says so plainly and exits 1', async (t) => {
    const older = olderNode();
    const entry = join(app, 'node_modules/jwtgate/dist/bin/jwtgate.js');
    const result = older
      ? await run(older.path, [entry, '--version'], { cwd: app, env: userEnv() })
      : // No older Node.js on this machine: the same entry, told it runs on Node.js 20.
        await run(
          process.execPath,
          [
            '--import',
            `data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.0.0'});Object.defineProperty(process,'version',{value:'v20.0.0'})`,
            entry,
            '--version',
          ],
          { cwd: app, env: userEnv() },
        );
    t.diagnostic(
      older ? `ran on ${older.path} (${older.version})` : 'no older Node.js found: simulated 20.0.0',
    );
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^jwtgate: needs Node\.js 24 or later \(engines\.node >=24\); this is Node\.js v2\d\./,
    );
    assert.doesNotMatch(result.stderr, /at |Error/, 'a message, not a stack trace');
  });
});

/** A `node` on PATH older than 24 (the machine's own, next to the repository's), if there is one. */
function olderNode(): { path: string; version: string } | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'node');
    if (!existsSync(candidate)) continue;
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      if (Number(version.slice(1).split('.')[0]) < 24) return { path: candidate, version };
    } catch {
      // not runnable
    }
  }
  return null;
}
