// End to end: Debian's nginx (auth_request) and Caddy (forward_auth) in front of an echo upstream,
// each configured by `jwtgate integrate` and started by the test in a temp dir with its own ports,
// asking a `jwtgate gateway` process's decision listener about every request.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import {
  CLI,
  freePort,
  type GatewayProcess,
  SECRET,
  send,
  sleep,
  spawnGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

const NGINX = '/usr/sbin/nginx';
const CADDY = '/usr/bin/caddy';

function token(claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'alice', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://issuer.example')
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

function integrate(proxy: string, file: string, upstream: string, port: number): string {
  return execFileSync(
    process.execPath,
    [
      '--conditions=jwtgate-source',
      CLI,
      'integrate',
      proxy,
      '-c',
      file,
      '--upstream',
      upstream,
      '--listen',
      String(port),
    ],
    { encoding: 'utf8', env: { ...process.env, SECRET_KEY: 'unused' } },
  );
}

/** Resolves once something answers HTTP on the port. */
async function waitForHttp(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxy exited with ${child.exitCode}:\n${output()}`);
    const up = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`proxy not answering on ${port}:\n${output()}`);
    await sleep(50);
  }
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const IDENTITY = { 'X-Jwtgate-Sub': 'sub', 'X-Jwtgate-Roles': 'roles' };

describe('proxies in front, jwtgate deciding', { timeout: 180_000 }, () => {
  const tmp = tempDir();
  let upstream: Upstream;
  let gw: GatewayProcess;
  let config = '';
  let decisionsPort = 0;

  before(async () => {
    upstream = await startUpstream('app');
    decisionsPort = await freePort();
    const yaml = `gateway:
  listen: 127.0.0.1:${await freePort()}
  decisions:
    listen: 127.0.0.1:${decisionsPort}
    trusted_proxies: [127.0.0.1/32]
  providers:
    corp:
      issuer: https://issuer.example
      secret: \${SECRET_KEY}
      algorithms: [HS256]
      audiences: [api]
  routes:
    - name: api
      match: { path: /api/** }
      requires: { provider: corp }
      upstream: ${upstream.origin}
      identity_headers: ${JSON.stringify(IDENTITY)}
    - name: admin
      match: { path: /admin/** }
      requires: { provider: corp, roles_any: [admin] }
      upstream: ${upstream.origin}
      identity_headers: ${JSON.stringify(IDENTITY)}
    - name: docs
      match: { path: /docs/** }
      public: true
      upstream: ${upstream.origin}
`;
    config = tmp.write('jwtgate.yaml', yaml);
    // Started with a generous deadline: CI runs this beside other process-heavy tests.
    gw = spawnGateway(config);
    await gw.waitFor(/"msg":"gateway ready"/, 60_000);
  });
  after(async () => {
    await gw?.stop();
    await upstream?.close();
    tmp.cleanup();
  });

  /** The requests every proxy must pass: the header contract seen at the client and the upstream. */
  function contract(name: string, base: () => string) {
    it(`${name}: an allowed request reaches the upstream with the identity headers, spoofed copies gone`, async () => {
      const t = await token({ roles: ['billing', 'admin'] });
      const before = upstream.seen.length;
      const r = await send(`${base()}/api/orders?id=7`, {
        headers: {
          authorization: `Bearer ${t}`,
          'x-jwtgate-sub': 'mallory',
          'x-forwarded-user': 'mallory',
          'remote-user': 'mallory',
        },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(upstream.seen.length, before + 1);
      const seen = upstream.seen.at(-1)?.headers ?? {};
      assert.equal(seen['x-jwtgate-sub'], 'alice');
      assert.equal(seen['x-jwtgate-roles'], 'billing,admin');
      assert.equal(seen['x-forwarded-user'], undefined);
      assert.equal(seen['remote-user'], undefined);
      assert.equal(upstream.seen.at(-1)?.url, '/api/orders?id=7');
    });

    it(`${name}: no token is 401 with WWW-Authenticate at the client, nothing at the upstream`, async () => {
      const before = upstream.seen.length;
      const r = await send(`${base()}/api/orders`);
      assert.equal(r.status, 401);
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
      const bad = await send(`${base()}/api/orders`, { headers: { authorization: 'Bearer x.y.z' } });
      assert.equal(bad.status, 401);
      assert.match(String(bad.headers['www-authenticate']), /error="invalid_token"/);
      assert.equal(upstream.seen.length, before);
    });

    it(`${name}: a missing role is 403 insufficient_scope`, async () => {
      const before = upstream.seen.length;
      const r = await send(`${base()}/admin/users`, {
        headers: { authorization: `Bearer ${await token({ roles: ['billing'] })}` },
      });
      assert.equal(r.status, 403);
      assert.match(String(r.headers['www-authenticate']), /error="insufficient_scope"/);
      assert.equal(upstream.seen.length, before);
    });

    it(`${name}: a public route passes without identity, and a spoofed identity header does not reach the upstream`, async () => {
      const r = await send(`${base()}/docs/intro`, {
        headers: { 'x-jwtgate-sub': 'mallory', 'x-jwtgate-roles': 'admin', 'x-jwtgate-other': 'x' },
      });
      assert.equal(r.status, 200, r.body);
      const seen = upstream.seen.at(-1)?.headers ?? {};
      assert.equal(upstream.seen.at(-1)?.url, '/docs/intro');
      assert.equal(seen['x-jwtgate-sub'], undefined);
      assert.equal(seen['x-jwtgate-roles'], undefined);
    });

    it(`${name}: no route is 404, an unsafe path 400 (deny by default, path safety on the original URI)`, async () => {
      const before = upstream.seen.length;
      assert.equal((await send(`${base()}/nowhere`)).status, 404);
      assert.equal((await send(`${base()}/docs/..%2fapi/x`)).status, 400);
      assert.equal(upstream.seen.length, before);
    });
  }

  describe('nginx auth_request', { skip: !existsSync(NGINX) && !process.env.CI ? 'no nginx' : false }, () => {
    let proxy: ReturnType<typeof startProcess>;
    let port = 0;
    before(async () => {
      port = await freePort();
      const dir = join(tmp.dir, 'nginx');
      mkdirSync(dir, { recursive: true });
      const snippet = integrate('nginx', config, upstream.origin, port);
      const temp = (n: string) => `${n}_temp_path ${join(dir, n)};`;
      const conf = tmp.write(
        'nginx/nginx.conf',
        `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
${snippet}
}
`,
      );
      proxy = startProcess(NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')]);
      await waitForHttp(port, proxy.child, proxy.output);
    });
    after(() => proxy?.stop());
    contract('nginx', () => `http://127.0.0.1:${port}`);
  });

  describe('Caddy forward_auth', { skip: !existsSync(CADDY) && !process.env.CI ? 'no caddy' : false }, () => {
    let proxy: ReturnType<typeof startProcess>;
    let port = 0;
    before(async () => {
      port = await freePort();
      const dir = join(tmp.dir, 'caddy');
      mkdirSync(dir, { recursive: true });
      const site = integrate('caddy', config, upstream.origin, port);
      const file = tmp.write('caddy/Caddyfile', `{\n\tadmin off\n}\n${site}`);
      proxy = startProcess(CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], {
        ...process.env,
        HOME: dir,
        XDG_DATA_HOME: dir,
        XDG_CONFIG_HOME: dir,
      });
      await waitForHttp(port, proxy.child, proxy.output);
    });
    after(() => proxy?.stop());
    contract('Caddy', () => `http://127.0.0.1:${port}`);
  });

  it('the decision listener refuses describing headers from an untrusted address', async () => {
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: decisionsPort,
          path: '/nginx',
          localAddress: '127.0.0.2',
          agent: false,
          headers: { 'x-original-uri': '/docs/x', 'x-original-method': 'GET' },
        },
        async (res) => {
          let body = '';
          for await (const c of res) body += c;
          resolve({ status: res.statusCode ?? 0, body });
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(r.status, 403);
    assert.equal(JSON.parse(r.body).error, 'ERR_DECISION_UNTRUSTED');
  });
});
