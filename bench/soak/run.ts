// bench/soak: one `jwtgate gateway` process, with an upstream of its own, under a bounded mix of
// traffic for SOAK_SECONDS (default 600): valid and invalid requests, slow clients (headers sent a
// line at a time, bodies a few bytes at a time) and abandoned ones (connect then close, close
// with half a request, close mid-response). Every SOAK_SAMPLE_SECONDS (default 30) it prints the
// gateway's RSS, heap used and event-loop delay from its admin /metrics (prom-client's default
// metrics, prefix jwtgate_); at the end, the growth of RSS and heap from the first sample after
// warm-up (SOAK_WARMUP_SECONDS, default a fifth of the run) to the last (the goal is flat: under
// 10%), and the requests by outcome. Not a test: it fails on no number.
//
//   npm run bench:soak                 (10 minutes)
//   SOAK_SECONDS=120 npm run bench:soak
//
// Everything listens on and connects to 127.0.0.1 only; both child processes are stopped (their
// process groups) when the run ends, is interrupted, or overruns its deadline.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { freePort, sleep } from '../lib/ports.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'packages/jwtgate/src/cli.ts');
const UPSTREAM = fileURLToPath(new URL('./upstream.ts', import.meta.url));
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 30);
const WARMUP_SECONDS = Number(
  process.env.SOAK_WARMUP_SECONDS ?? Math.max(SAMPLE_SECONDS, Math.round(SECONDS / 5)),
);
/** Concurrent loops of each kind of client. */
const LOOPS = { normal: 12, slowHeaders: 3, slowBody: 3, abandon: 2 };
/** No single client operation outlives this: the run stays bounded even if the gateway hangs. */
const OPERATION_TIMEOUT_MS = 30_000;
const ISSUER = 'https://issuer.soak';
const AUDIENCE = 'api://soak';
const SECRET = 'soak-secret-0123456789abcdef-0123456789abcdef-0123';
const HOST = '127.0.0.1';

for (const [name, v] of Object.entries({ SOAK_SECONDS: SECONDS, SOAK_SAMPLE_SECONDS: SAMPLE_SECONDS })) {
  if (!Number.isFinite(v) || v < 1) throw new Error(`${name}: expected a number of seconds >= 1`);
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set<ChildProcess>();
const scratch = mkdtempSync(join(tmpdir(), 'jwtgate-soak-'));
let cleaned = false;

function start(argv: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--conditions=jwtgate-source', ...argv], {
    cwd: ROOT,
    detached: true,
    // The gateway logs a line per request: stdout is dropped, stderr kept for a failure message.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  children.add(child);
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => children.delete(child));
  return { child, output: () => output };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  const all = [...children];
  for (const c of all) killGroup(c, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (children.size > 0 && Date.now() < deadline) await sleep(50);
  for (const c of [...children]) killGroup(c, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    process.stderr.write(`soak: ${signal}, stopping\n`);
    void cleanup().then(() => process.exit(130));
  });
// The whole run, and then some for the drain: past this the soak stops itself.
const hardStop = setTimeout(
  () => {
    process.stderr.write('soak: overran its deadline; stopping\n');
    void cleanup().then(() => process.exit(1));
  },
  (SECONDS + 120) * 1000,
);
hardStop.unref();

/** GET on 127.0.0.1, body as text; rejects after `timeoutMs`. */
function get(port: number, path: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(what: string, ms: number, ok: () => Promise<boolean>, output: () => string) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up in ${ms} ms:\n${output()}`);
}

// ---------------------------------------------------------------------------------------------
// Traffic

const counts = new Map<string, number>();
const count = (outcome: string) => counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
let stopping = false;
let total = 0;

const agent = new Agent({ keepAlive: true, maxSockets: LOOPS.normal });

/** One request over the keep-alive agent; the outcome is `<kind> <status>` or `<kind> <error>`. */
function send(
  port: number,
  kind: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
) {
  return new Promise<void>((resolve) => {
    const req = request(
      { host: HOST, port, method, path, headers, agent, timeout: OPERATION_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => {
          count(`${kind} ${res.statusCode}`);
          resolve();
        });
        res.on('error', () => {
          count(`${kind} response error`);
          resolve();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      count(`${kind} ${(err as NodeJS.ErrnoException).code ?? err.message}`);
      resolve();
    });
    req.end(body);
  });
}

interface Tokens {
  readonly valid: string[];
  readonly expired: string;
  readonly forged: string;
}

async function makeTokens(): Promise<Tokens> {
  const key = new TextEncoder().encode(SECRET);
  const now = Math.floor(Date.now() / 1000);
  const sign = (sub: string, exp: number, k: Uint8Array = key) =>
    new SignJWT({ sub, roles: ['reader'], scope: 'read' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now - 5)
      .setExpirationTime(exp)
      .sign(k);
  const life = now + SECONDS + 3600;
  const valid = await Promise.all(Array.from({ length: 200 }, (_, i) => sign(`user-${i}`, life)));
  return {
    valid,
    expired: await sign('late', now - 60),
    forged: await sign('mallory', life, new TextEncoder().encode(`${SECRET}-not-it`)),
  };
}

async function normalLoop(port: number, t: Tokens): Promise<void> {
  const body = Buffer.alloc(4096, 'b');
  while (!stopping) {
    const r = Math.random();
    const token = t.valid[Math.floor(Math.random() * t.valid.length)] as string;
    const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
    total++;
    if (r < 0.4) await send(port, 'valid GET', 'GET', '/api/items', bearer(token));
    else if (r < 0.5)
      await send(
        port,
        'valid POST',
        'POST',
        '/api/items',
        {
          ...bearer(token),
          'content-type': 'application/octet-stream',
          'content-length': String(body.length),
        },
        body,
      );
    else if (r < 0.58) await send(port, 'expired', 'GET', '/api/items', bearer(t.expired));
    else if (r < 0.66) await send(port, 'forged', 'GET', '/api/items', bearer(t.forged));
    else if (r < 0.7) await send(port, 'garbage token', 'GET', '/api/items', bearer('not.a.token'));
    else if (r < 0.8) await send(port, 'no token', 'GET', '/api/items', {});
    else if (r < 0.9) await send(port, 'public GET', 'GET', '/public/page', {});
    else if (r < 0.95) await send(port, 'unknown route', 'GET', '/nowhere', {});
    else await send(port, 'unsafe path', 'GET', '/public/../api/items', {});
  }
}

/** A raw connection: writes `parts` with `gapMs` between them, then reads the status line until the end. */
function rawExchange(port: number, parts: readonly string[], gapMs: number): Promise<string> {
  return new Promise((resolve) => {
    let head = '';
    let done = false;
    const finish = (outcome: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('client timeout'), OPERATION_TIMEOUT_MS);
    const socket: Socket = connect(port, HOST, async () => {
      for (const part of parts) {
        if (done || socket.destroyed) return;
        socket.write(part);
        await sleep(gapMs);
      }
    });
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      if (head.length < 64) head += d;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(head ? statusOf(head) : (err.code ?? 'error')));
    socket.on('close', () => finish(head ? statusOf(head) : 'closed without answer'));
  });
}

const statusOf = (head: string) => /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 'unreadable answer';

async function slowHeadersLoop(port: number): Promise<void> {
  while (!stopping) {
    total++;
    // One header line every 400 ms: the whole head takes about 3 s.
    const parts = [
      'GET /public/slow-headers HTTP/1.1\r\n',
      `Host: ${HOST}\r\n`,
      ...Array.from({ length: 6 }, (_, i) => `X-Pad-${i}: ${'p'.repeat(20)}\r\n`),
      'Connection: close\r\n\r\n',
    ];
    count(`slow headers ${await rawExchange(port, parts, 400)}`);
  }
}

async function slowBodyLoop(port: number): Promise<void> {
  while (!stopping) {
    total++;
    // 2000 bytes, 100 at a time every 250 ms: about 5 s of body.
    const parts = [
      `POST /public/upload HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/octet-stream\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n`,
      ...Array.from({ length: 20 }, () => 'd'.repeat(100)),
    ];
    count(`slow body ${await rawExchange(port, parts, 250)}`);
  }
}

/** Connect and leave: at once, with half a request, or once the response has started. */
function abandon(
  port: number,
  how: 'connect' | 'half request' | 'mid response',
  token: string,
): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    const leave = () => {
      socket.destroy();
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(leave, OPERATION_TIMEOUT_MS);
    socket.on('error', leave);
    socket.on('close', leave);
    socket.on('connect', () => {
      if (how === 'connect') return leave();
      if (how === 'half request') {
        socket.write(
          `GET /api/items HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${token.slice(0, 40)}`,
        );
        setTimeout(leave, 50);
        return;
      }
      socket.write(`GET /api/big HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      socket.once('data', leave);
    });
  });
}

async function abandonLoop(port: number, t: Tokens): Promise<void> {
  const kinds = ['connect', 'half request', 'mid response'] as const;
  let i = 0;
  while (!stopping) {
    const how = kinds[i++ % kinds.length] as (typeof kinds)[number];
    total++;
    await abandon(port, how, t.valid[i % t.valid.length] as string);
    count(`abandoned: ${how}`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------
// Samples

interface Sample {
  readonly t: number;
  readonly rss: number;
  readonly heap: number;
  readonly lagP99: number;
  readonly lagMax: number;
  readonly requests: number;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function sample(adminPort: number, started: number): Promise<Sample> {
  const { body } = await get(adminPort, '/metrics');
  return {
    t: Math.round((performance.now() - started) / 1000),
    rss: metric(body, 'jwtgate_process_resident_memory_bytes'),
    heap: metric(body, 'jwtgate_nodejs_heap_size_used_bytes'),
    lagP99: metric(body, 'jwtgate_nodejs_eventloop_lag_p99_seconds'),
    lagMax: metric(body, 'jwtgate_nodejs_eventloop_lag_max_seconds'),
    requests: total,
  };
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const ms = (seconds: number) => (seconds * 1000).toFixed(1);

function printSample(s: Sample, previous: Sample | undefined, note = ''): void {
  const rate = previous ? Math.round((s.requests - previous.requests) / Math.max(1, s.t - previous.t)) : 0;
  process.stdout.write(
    `${String(s.t).padStart(5)} s  rss ${mb(s.rss).padStart(7)} MiB  heap ${mb(s.heap).padStart(6)} MiB  ` +
      `loop delay p99 ${ms(s.lagP99).padStart(6)} ms (max ${ms(s.lagMax).padStart(6)} ms)  ` +
      `${String(s.requests).padStart(8)} client operations (${rate}/s)${note}\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// The run

async function main(): Promise<void> {
  const [port, adminPort, upstreamPort] = [await freePort(), await freePort(), await freePort()];
  const upstream = start([UPSTREAM, String(upstreamPort)]);
  await waitFor('the upstream', 10_000, async () => upstream.output().includes('ready'), upstream.output);
  const config = join(scratch, 'jwtgate.yaml');
  writeFileSync(
    config,
    `gateway:
  listen: ${HOST}:${port}
  admin: { listen: ${HOST}:${adminPort} }
  providers:
    soak:
      issuer: ${ISSUER}
      secret: ${SECRET}
      algorithms: [HS256]
      audiences: [${AUDIENCE}]
      token_types: [at+jwt]
  routes:
    - name: public
      match: { path: /public/** }
      public: true
      upstream: http://${HOST}:${upstreamPort}
    - name: api
      match: { path: /api/**, methods: [GET, POST] }
      requires: { provider: soak, roles_any: [reader] }
      upstream: http://${HOST}:${upstreamPort}
      identity_headers: { X-User-Id: sub, X-User-Roles: roles }
`,
  );
  const gateway = start([CLI, 'gateway', '--config', config]);
  await waitFor(
    'jwtgate gateway',
    20_000,
    async () => (await get(adminPort, '/readyz')).status === 200,
    gateway.output,
  );
  const tokens = await makeTokens();
  const check = await get(port, '/public/page');
  if (check.status !== 200) throw new Error(`the gateway does not proxy: ${check.status} ${check.body}`);

  process.stdout.write(
    `soak: ${SECONDS} s against one jwtgate gateway (pid ${gateway.child.pid}) on ${HOST}:${port}; ` +
      `sample every ${SAMPLE_SECONDS} s, warm-up ${WARMUP_SECONDS} s\n` +
      `clients: ${LOOPS.normal} request loops (valid, invalid, public, 404, unsafe path), ` +
      `${LOOPS.slowHeaders} slow-header, ${LOOPS.slowBody} slow-body, ${LOOPS.abandon} abandoning\n\n`,
  );
  const started = performance.now();
  const samples: Sample[] = [await sample(adminPort, started)];
  printSample(samples[0] as Sample, undefined, '  (start)');
  const loops = [
    ...Array.from({ length: LOOPS.normal }, () => normalLoop(port, tokens)),
    ...Array.from({ length: LOOPS.slowHeaders }, () => slowHeadersLoop(port)),
    ...Array.from({ length: LOOPS.slowBody }, () => slowBodyLoop(port)),
    ...Array.from({ length: LOOPS.abandon }, () => abandonLoop(port, tokens)),
  ];
  const end = started + SECONDS * 1000;
  for (let next = started + SAMPLE_SECONDS * 1000; ; next += SAMPLE_SECONDS * 1000) {
    await sleep(Math.max(0, Math.min(next, end) - performance.now()));
    if (gateway.child.exitCode !== null || gateway.child.signalCode !== null)
      throw new Error(`the gateway exited during the soak:\n${gateway.output()}`);
    const s = await sample(adminPort, started);
    printSample(s, samples.at(-1));
    samples.push(s);
    if (performance.now() >= end - 500) break;
  }
  stopping = true;
  await Promise.race([Promise.all(loops), sleep(OPERATION_TIMEOUT_MS + 5000)]);
  agent.destroy();
  await sleep(2000);
  const idle = await sample(adminPort, started);
  printSample(idle, undefined, '  (2 s after the clients stopped)');

  const base = samples.find((s) => s.t >= WARMUP_SECONDS) ?? (samples.at(-1) as Sample);
  const last = samples.at(-1) as Sample;
  const growth = (a: number, b: number) => ((b - a) / a) * 100;
  const after = samples.filter((s) => s.t >= base.t);
  const verdict = (g: number) => (g < 10 ? 'flat (under 10%)' : 'GROWING (10% or more)');
  const rssGrowth = growth(base.rss, last.rss);
  const heapGrowth = growth(base.heap, last.heap);
  process.stdout.write(
    `\ntrend from ${base.t} s (after warm-up) to ${last.t} s:\n` +
      `  rss   ${mb(base.rss)} -> ${mb(last.rss)} MiB: ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)}% ` +
      `(max ${mb(Math.max(...after.map((s) => s.rss)))} MiB) ${verdict(rssGrowth)}\n` +
      `  heap  ${mb(base.heap)} -> ${mb(last.heap)} MiB: ${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(1)}% ` +
      `(max ${mb(Math.max(...after.map((s) => s.heap)))} MiB) ${verdict(heapGrowth)}\n` +
      `  event-loop delay p99 after warm-up: max ${ms(Math.max(...after.map((s) => s.lagP99)))} ms\n`,
  );
  process.stdout.write(`\nclient operations by outcome (${total} in all):\n`);
  for (const [outcome, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0])))
    process.stdout.write(`  ${outcome.padEnd(36)} ${String(n).padStart(9)}\n`);
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (err) {
  process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
  await cleanup();
  process.exit(1);
}
