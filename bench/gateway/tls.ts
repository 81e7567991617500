// bench/gateway/tls: the gateway terminating TLS beside nginx terminating TLS with the same
// certificate, in front of the same upstream, in the same run: HTTP/1.1 keep-alive (wrk) and
// HTTP/2 (h2load). Each proxy is pinned to CPU 0, the load generator and the upstream to CPU 1.
// Prints a markdown table with ratios to nginx. Not a test: nothing fails on a number (it stops
// when a proxy answers wrongly).
//
//   node bench/gateway/tls.ts                 (about 2 minutes)
//   BENCH_SECONDS=20 node bench/gateway/tls.ts
//
// Needs openssl, wrk, h2load, nginx and taskset (Debian: apt-get install -y openssl wrk
// nghttp2-client nginx-light util-linux). Every process listens on 127.0.0.1 only and is stopped
// before the script exits; nginx runs with its own temporary prefix, never the system service.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'packages/jwtgate/src/cli.ts');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONNECTIONS = 50;
const STREAMS = 10;
const SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';
const tool = (name: string) =>
  ['/usr/bin', '/usr/sbin']
    .map((d) => join(d, name))
    .find((p) => {
      try {
        execFileSync('test', ['-x', p]);
        return true;
      } catch {
        return false;
      }
    });
const TOOLS = {
  openssl: tool('openssl'),
  wrk: tool('wrk'),
  h2load: tool('h2load'),
  nginx: tool('nginx'),
  taskset: tool('taskset'),
};
const missing = Object.entries(TOOLS)
  .filter(([, p]) => p === undefined)
  .map(([n]) => n);
if (missing.length) {
  process.stderr.write(
    `bench/gateway/tls needs ${missing.join(', ')} (apt-get install -y openssl wrk nghttp2-client nginx-light util-linux)\n`,
  );
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'jwtgate-bench-tls-'));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children)
    if (c.pid)
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {}
  rmSync(scratch, { recursive: true, force: true });
});

function start(cpu: string, command: string, argv: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(TOOLS.taskset as string, ['-c', cpu, command, ...argv], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr?.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.once('exit', () => children.delete(child));
  return { child, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const gone = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid, 'SIGTERM');
  const t = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

const run = (child: ChildProcess) => new Promise<void>((r) => child.once('exit', () => r()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One HTTPS request (certificate checked against the bench CA): status and body. */
function get(
  port: number,
  path: string,
  ca: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, ca, servername: 'bench.test', headers, agent: false },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function ready(
  port: number,
  ca: Buffer,
  proc: { child: ChildProcess; output: () => string },
  what: string,
) {
  for (let i = 0; i < 200; i++) {
    if (proc.child.exitCode !== null) throw new Error(`${what} exited:\n${proc.output()}`);
    try {
      return await get(port, '/pub/x', ca);
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${what} did not answer:\n${proc.output()}`);
}

async function expect200(
  port: number,
  path: string,
  ca: Buffer,
  headers: Record<string, string>,
  what: string,
) {
  const r = await get(port, path, ca, headers);
  if (r.status !== 200 || !r.body.includes('bench-upstream'))
    throw new Error(`${what} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
}

/** CPU time (user + system, in clock ticks of 10 ms) of every process in the group `pgrp`. */
function groupTicks(pgrp: number): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgrp) ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks;
}

interface Result {
  rps: number;
  /** The proxy's CPU time per request, in microseconds: the number least moved by a busy machine. */
  cpuUs: number;
  /** ms: p50 and p99 for wrk; mean and max of h2load's per-request time. */
  a: number;
  b: number;
  failed: number;
}

const ms = (t: string) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(t);
  return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : Number.NaN;
};

async function wrk(url: string, headers: string[], proxy: ChildProcess): Promise<Result> {
  const argv = [
    '-t1',
    `-c${CONNECTIONS}`,
    '--latency',
    '--timeout',
    '5s',
    ...headers.flatMap((h) => ['-H', h]),
    url,
  ];
  await run(start('1', TOOLS.wrk as string, ['-d', `${WARMUP}s`, ...argv]).child);
  const before = groupTicks(proxy.pid as number);
  const p = start('1', TOOLS.wrk as string, ['-d', `${SECONDS}s`, ...argv]);
  await run(p.child);
  const ticks = groupTicks(proxy.pid as number) - before;
  const out = p.output();
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  const pct = (n: string) => ms(new RegExp(`^\\s+${n}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    cpuUs: (ticks * 10_000) / num(/(\d+) requests in/),
    a: pct('50'),
    b: pct('99'),
    failed: num(/Non-2xx or 3xx responses: (\d+)/) || 0 + (/Socket errors/.test(out) ? 1 : 0),
  };
}

async function h2load(url: string, headers: string[], proxy: ChildProcess): Promise<Result> {
  const argv = ['-c', String(CONNECTIONS), '-m', String(STREAMS), ...headers.flatMap((h) => ['-H', h]), url];
  await run(start('1', TOOLS.h2load as string, ['-D', String(WARMUP), ...argv]).child);
  const before = groupTicks(proxy.pid as number);
  const p = start('1', TOOLS.h2load as string, ['-D', String(SECONDS), ...argv]);
  await run(p.child);
  const ticks = groupTicks(proxy.pid as number) - before;
  const out = p.output();
  const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out)?.[1] ?? Number.NaN);
  const time = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
  const failed = Number(
    /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/.exec(out)?.[1] ?? 0,
  );
  const non2xx = /status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  if (!Number.isFinite(rps)) throw new Error(`cannot read h2load's output:\n${out}`);
  const done = Number(/requests: \d+ total, \d+ started, (\d+) done/.exec(out)?.[1] ?? Number.NaN);
  return {
    rps,
    cpuUs: (ticks * 10_000) / done,
    a: ms(time?.[3] ?? ''),
    b: ms(time?.[2] ?? ''),
    failed: failed + (non2xx ? Number(non2xx[2]) + Number(non2xx[3]) : 0),
  };
}

// ---------------------------------------------------------------------------------------------

const openssl = (args: string[]) => execFileSync(TOOLS.openssl as string, args, { stdio: 'ignore' });
const cert = join(scratch, 'bench.pem');
const key = join(scratch, 'bench.key');
// One self-signed P-256 certificate for both proxies (ECDSA: the common choice at the edge).
openssl([
  'req',
  '-x509',
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-days',
  '1',
  '-keyout',
  key,
  '-out',
  cert,
  '-subj',
  '/CN=bench.test',
  '-addext',
  'subjectAltName=DNS:bench.test,IP:127.0.0.1',
]);
const ca = readFileSync(cert);
const token = await new SignJWT({ sub: 'bench-user' })
  .setProtectedHeader({ alg: 'HS256' })
  .setIssuer('https://issuer.bench/hs')
  .setAudience('api://bench')
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(new TextEncoder().encode(SECRET));
const auth = `authorization: Bearer ${token}`;

const upstreamPort = await freePort();
const upstream = start('1', process.execPath, [
  join(ROOT, 'bench/gateway/upstream.ts'),
  String(upstreamPort),
]);
for (let i = 0; i < 200 && !upstream.output().includes('ready'); i++) await sleep(100);

interface Row {
  label: string;
  protocol: 'HTTP/1.1' | 'HTTP/2';
  proxy: 'nginx' | 'jwtgate';
  result: Result;
}
const rows: Row[] = [];

const nginxVersion = /nginx\/(\S+)/.exec(
  (spawnSync(TOOLS.nginx as string, ['-v'], { encoding: 'utf8' }).stderr as string) ?? '',
)?.[1];
/** `http2 on` from nginx 1.25.1; before, a `listen` parameter. */
function http2Directive(port: number): string {
  const [major = 0, minor = 0, patch = 0] = (nginxVersion ?? '0').split('.').map(Number);
  const modern = major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
  return modern ? `listen 127.0.0.1:${port} ssl;\n    http2 on;` : `listen 127.0.0.1:${port} ssl http2;`;
}

// nginx: TLS 1.2+/1.3, HTTP/1.1 and HTTP/2 on one port, keep-alive to the upstream.
{
  const port = await freePort();
  const prefix = join(scratch, 'nginx');
  for (const d of ['', 'logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  keepalive_requests 1000000;
  http2_max_concurrent_streams 128;
  upstream bench_upstream { server 127.0.0.1:${upstreamPort}; keepalive 64; keepalive_requests 1000000; }
  server {
    ${http2Directive(port)}
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://bench_upstream; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const nginx = start('0', TOOLS.nginx as string, ['-p', prefix, '-c', conf]);
  await ready(port, ca, nginx, 'nginx');
  await expect200(port, '/pub/x', ca, {}, 'nginx');
  rows.push({
    label: 'nginx, TLS, proxy only',
    protocol: 'HTTP/1.1',
    proxy: 'nginx',
    result: await wrk(`https://127.0.0.1:${port}/pub/x`, [], nginx.child),
  });
  rows.push({
    label: 'nginx, TLS, proxy only',
    protocol: 'HTTP/2',
    proxy: 'nginx',
    result: await h2load(`https://127.0.0.1:${port}/pub/x`, [], nginx.child),
  });
  await stop(nginx.child);
}

// jwtgate: one process, the same certificate; a public route (nginx's work) and an HS256 route.
{
  const port = await freePort();
  const config = join(scratch, 'gateway.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      gateway: {
        listen: `127.0.0.1:${port}`,
        tls: { certificates: [{ cert, key }] },
        providers: {
          hs: {
            issuer: 'https://issuer.bench/hs',
            secret: SECRET,
            algorithms: ['HS256'],
            audiences: ['api://bench'],
          },
        },
        routes: [
          {
            name: 'pub',
            match: { path: '/pub/**' },
            public: true,
            upstream: `http://127.0.0.1:${upstreamPort}`,
          },
          {
            name: 'hs',
            match: { path: '/hs/**' },
            requires: { provider: 'hs' },
            upstream: `http://127.0.0.1:${upstreamPort}`,
          },
        ],
      },
    }),
  );
  const gw = start('0', process.execPath, ['--conditions=jwtgate-source', CLI, 'gateway', '-c', config]);
  gw.child.stdout?.resume();
  await ready(port, ca, gw, 'jwtgate');
  await expect200(port, '/pub/x', ca, {}, 'jwtgate');
  await expect200(port, '/hs/x', ca, { authorization: `Bearer ${token}` }, 'jwtgate');
  const base = `https://127.0.0.1:${port}`;
  rows.push({
    label: 'jwtgate, TLS, public route',
    protocol: 'HTTP/1.1',
    proxy: 'jwtgate',
    result: await wrk(`${base}/pub/x`, [], gw.child),
  });
  rows.push({
    label: 'jwtgate, TLS, HS256 route',
    protocol: 'HTTP/1.1',
    proxy: 'jwtgate',
    result: await wrk(`${base}/hs/x`, [auth], gw.child),
  });
  rows.push({
    label: 'jwtgate, TLS, public route',
    protocol: 'HTTP/2',
    proxy: 'jwtgate',
    result: await h2load(`${base}/pub/x`, [], gw.child),
  });
  rows.push({
    label: 'jwtgate, TLS, HS256 route',
    protocol: 'HTTP/2',
    proxy: 'jwtgate',
    result: await h2load(`${base}/hs/x`, [auth], gw.child),
  });
  await stop(gw.child);
  // The same gateway without TLS: what terminating TLS costs it.
  const plainPort = await freePort();
  const plainConfig = join(scratch, 'plain.yaml');
  const parsed = JSON.parse(readFileSync(config, 'utf8'));
  parsed.gateway.listen = `127.0.0.1:${plainPort}`;
  delete parsed.gateway.tls;
  writeFileSync(plainConfig, JSON.stringify(parsed));
  const plain = start('0', process.execPath, [
    '--conditions=jwtgate-source',
    CLI,
    'gateway',
    '-c',
    plainConfig,
  ]);
  plain.child.stdout?.resume();
  for (let i = 0; i < 200 && !plain.output().includes('gateway ready'); i++) await sleep(100);
  rows.push({
    label: 'jwtgate, plain HTTP, public route',
    protocol: 'HTTP/1.1',
    proxy: 'jwtgate',
    result: await wrk(`http://127.0.0.1:${plainPort}/pub/x`, [], plain.child),
  });
  await stop(plain.child);
}
await stop(upstream.child);

const nginxRps = (p: Row['protocol']) =>
  rows.find((r) => r.proxy === 'nginx' && r.protocol === p)?.result.rps ?? Number.NaN;
console.log(
  `\n## bench/gateway/tls: ${SECONDS} s per row after ${WARMUP} s warm-up, ${CONNECTIONS} connections (HTTP/2: ${STREAMS} streams each); proxy on CPU 0, load and upstream on CPU 1`,
);
console.log(
  `node ${process.version}, ${nginxVersion ? `nginx ${nginxVersion}, ` : ''}${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}\n`,
);
const nginxCpu = (p: Row['protocol']) =>
  rows.find((r) => r.proxy === 'nginx' && r.protocol === p)?.result.cpuUs ?? Number.NaN;
console.log(
  '| protocol | proxy | req/s | latency (HTTP/1.1: p50 / p99; HTTP/2: mean / max) | vs nginx | proxy CPU per request | vs nginx | failed |',
);
console.log('|---|---|---:|---|---:|---:|---:|---:|');
for (const r of rows)
  console.log(
    `| ${r.protocol} | ${r.label} | ${r.result.rps.toFixed(0)} | ${r.result.a.toFixed(2)} / ${r.result.b.toFixed(2)} ms | ${(r.result.rps / nginxRps(r.protocol)).toFixed(2)}x | ${r.result.cpuUs.toFixed(0)} µs | ${(r.result.cpuUs / nginxCpu(r.protocol)).toFixed(2)}x | ${r.result.failed} |`,
  );
process.exit(0);
