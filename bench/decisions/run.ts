// bench/decisions: nginx + jwtgate decisions (auth_request, one token reused) beside nginx alone
// and the jwtgate gateway, all in front of the same upstream, in the same run; and the gateway
// with tracing off and on (OTLP/HTTP to a sink that discards, every request sampled). CPU of
// every process of a row is counted (nginx and jwtgate for the decision row) from /proc/<pid>/stat.
// Rows are run in interleaved rounds; medians are printed. Not a test: nothing fails on a number.
//
//   npm run bench:decisions                    (about 2 minutes)
//   BENCH_SECONDS=10 BENCH_ROUNDS=3 npm run bench:decisions
//   BENCH_BASELINE_ROOT=/path/to/other/checkout npm run bench:decisions
//     (adds that checkout's gateway as a row: e.g. main, to see what tracing off costs)
//
// Needs wrk and nginx (Debian: apt-get install -y wrk nginx). A separate script until bench/gateway
// has its row modules on main; its upstream is reused.

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'packages/jwtgate/src/cli.ts');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';
const TICKS_PER_SECOND = 100;

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-bench-decisions-'));
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process in its own process group (its CPU is counted by group); resolves when `ready` is seen. */
function start(command: string, args: string[], ready: RegExp | null, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  return new Promise<{ child: ChildProcess; output: () => string }>((resolve, reject) => {
    if (ready === null) return resolve({ child, output: () => out });
    const timer = setInterval(() => {
      if (ready.test(out)) {
        clearInterval(timer);
        resolve({ child, output: () => out });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`${command} exited:\n${out}`));
      }
    }, 20);
  });
}

function groupTicks(groups: readonly number[]): number {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (groups.includes(Number(f[2]))) ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks;
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  non2xx: number;
}

const toMs = (t: string) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(t);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 'ms' ? 1 : 1000);
};

/** One wrk run against `url`; CPU of the process groups while it ran. Processes that exit are not counted after. */
async function load(url: string, headers: string[], groups: readonly number[]): Promise<Result> {
  const t0 = groupTicks(groups);
  // Asynchronously: the OTLP sink in this process must keep answering the exporter meanwhile.
  const { stdout: out } = await promisify(execFile)(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url],
    { encoding: 'utf8' },
  );
  const ticks = groupTicks(groups) - t0;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const pct = (p: string) => toMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: pct('50'),
    p99: pct('99'),
    cpuUs: ((ticks / TICKS_PER_SECOND) * 1e6) / requests,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

async function main() {
  // An OTLP sink: reads and discards (its CPU is not a row's: the collector's work).
  let exported = 0;
  const sink = createHttpServer((req, res) => {
    req.on('data', (c: Buffer) => (exported += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;

  const up = await start(process.execPath, [join(ROOT, 'bench/gateway/upstream.ts'), '0'], /ready \d+/);
  const upPort = Number(/ready (\d+)/.exec(up.output())?.[1]);
  const upstream = `http://127.0.0.1:${upPort}`;

  const [gwPort, decPort, gwTracedPort, decTracedPort, nginxAlone, nginxDecide, nginxDecideTraced, basePort] =
    await Promise.all(Array.from({ length: 8 }, freePort));
  const baselineRoot = process.env.BENCH_BASELINE_ROOT;
  const config = (listen: number, decisions: number) => `gateway:
  listen: 127.0.0.1:${listen}
  decisions: { listen: 127.0.0.1:${decisions}, trusted_proxies: [127.0.0.1/32] }
  providers:
    bench: { issuer: https://issuer.bench, secret: ${SECRET}, algorithms: [HS256], audiences: [api] }
  routes:
    - name: api
      match: { path: /api/** }
      requires: { provider: bench }
      upstream: ${upstream}
      identity_headers: { X-Jwtgate-Sub: sub, X-Jwtgate-Roles: roles }
`;
  writeFileSync(join(dir, 'plain.yaml'), config(gwPort as number, decPort as number));
  writeFileSync(join(dir, 'traced.yaml'), config(gwTracedPort as number, decTracedPort as number));
  const node = [process.execPath, '--conditions=jwtgate-source', CLI, 'gateway', '-c'];
  const quiet = { ...process.env, LOG_LEVEL: 'warn' };
  const gw = await start(node[0] as string, [...node.slice(1), join(dir, 'plain.yaml')], /gateway ready/, {
    ...quiet,
    LOG_LEVEL: 'info',
  });
  const traced = await start(
    node[0] as string,
    [...node.slice(1), join(dir, 'traced.yaml')],
    /gateway ready/,
    {
      ...quiet,
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_TRACES_SAMPLER: 'always_on',
    },
  );

  const baseline =
    baselineRoot === undefined
      ? null
      : await (async () => {
          // The other checkout's configuration: the plain gateway route only.
          const file = join(dir, 'baseline.yaml');
          writeFileSync(
            file,
            config(basePort as number, 0)
              .split('\n')
              .filter((l) => !l.includes('decisions:'))
              .join('\n'),
          );
          return start(
            join(baselineRoot, 'node_modules/.bin/node'),
            [
              '--conditions=jwtgate-source',
              join(baselineRoot, 'packages/jwtgate/src/cli.ts'),
              'gateway',
              '-c',
              file,
            ],
            /gateway ready/,
            { ...quiet, LOG_LEVEL: 'info' },
          );
        })();
  // nginx: alone, and with the `jwtgate integrate nginx` server block (against each gateway).
  const integrate = (file: string, port: number) =>
    execFileSync(
      process.execPath,
      [
        '--conditions=jwtgate-source',
        CLI,
        'integrate',
        'nginx',
        '-c',
        file,
        '--upstream',
        'http://bench_app',
        '--listen',
        String(port),
      ],
      {
        encoding: 'utf8',
      },
    )
      .replace('upstream jwtgate_decisions', `upstream jwtgate_decisions_${port}`)
      .replace('http://jwtgate_decisions/', `http://jwtgate_decisions_${port}/`)
      // Kept-alive connections to the upstream, as for nginx alone.
      .replace(
        '        proxy_pass http://bench_app;',
        '        proxy_http_version 1.1;\n        proxy_set_header Connection "";\n        proxy_pass http://bench_app;',
      );
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((n) => `${n}_temp_path ${join(dir, n)};`)
    .join('\n  ');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  ${temp}
  upstream bench_app { server 127.0.0.1:${upPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxAlone};
    location / { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://bench_app; }
  }
${integrate(join(dir, 'plain.yaml'), nginxDecide as number).replace(`listen ${nginxDecide};`, `listen 127.0.0.1:${nginxDecide};`)}
${integrate(join(dir, 'traced.yaml'), nginxDecideTraced as number).replace(`listen ${nginxDecideTraced};`, `listen 127.0.0.1:${nginxDecideTraced};`)}
}
`,
  );
  const nginx = await start(
    'nginx',
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    null,
  );
  await new Promise((r) => setTimeout(r, 500));

  const token = await new SignJWT({ sub: 'bench-user', roles: ['reader'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://issuer.bench')
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
  const auth = [`Authorization: Bearer ${token}`];
  const pg = (c: { child: ChildProcess }) => c.child.pid as number;
  const rows = [
    { name: 'nginx alone (proxy_pass)', url: `http://127.0.0.1:${nginxAlone}/api/x`, groups: [pg(nginx)] },
    {
      name: 'nginx + jwtgate decisions (auth_request, token reused)',
      url: `http://127.0.0.1:${nginxDecide}/api/x`,
      groups: [pg(nginx), pg(gw)],
    },
    { name: 'jwtgate gateway (token reused)', url: `http://127.0.0.1:${gwPort}/api/x`, groups: [pg(gw)] },
    ...(baseline === null
      ? []
      : [
          {
            name: `jwtgate gateway of ${baselineRoot} (token reused)`,
            url: `http://127.0.0.1:${basePort}/api/x`,
            groups: [pg(baseline)],
          },
        ]),
    {
      name: 'jwtgate gateway, tracing on (OTLP, all sampled)',
      url: `http://127.0.0.1:${gwTracedPort}/api/x`,
      groups: [pg(traced)],
    },
    {
      name: 'nginx + jwtgate decisions, tracing on',
      url: `http://127.0.0.1:${nginxDecideTraced}/api/x`,
      groups: [pg(nginx), pg(traced)],
    },
  ];
  // Check every row answers 200 through its path before measuring.
  for (const row of rows) {
    const r = await fetch(row.url, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 200) throw new Error(`${row.name}: ${r.status} ${await r.text()}`);
    const denied = await fetch(row.url);
    if (row.groups.length > 1 || row.name.startsWith('jwtgate')) {
      if (denied.status !== 401) throw new Error(`${row.name}: no token gave ${denied.status}`);
    }
  }
  for (const row of rows) await load(row.url, auth, row.groups); // warm-up, not kept
  const results = new Map<string, Result[]>(rows.map((r) => [r.name, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const row of rows) results.get(row.name)?.push(await load(row.url, auth, row.groups));

  const base = median(results.get(rows[0]?.name as string)?.map((r) => r.rps) ?? []);
  const cpuBase = median(results.get(rows[0]?.name as string)?.map((r) => r.cpuUs) ?? []);
  const lines = [
    `wrk -t1 -c${CONNECTIONS}, ${SECONDS} s x ${ROUNDS} interleaved rounds (medians); CPU µs/request of every process of the row`,
    '',
    '| row | req/s | vs nginx alone | p50 ms | p99 ms | CPU µs/req | CPU vs nginx alone | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const rs = results.get(row.name) as Result[];
    const rps = median(rs.map((r) => r.rps));
    const cpu = median(rs.map((r) => r.cpuUs));
    lines.push(
      `| ${row.name} | ${rps.toFixed(0)} | ${(rps / base).toFixed(2)} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${cpu.toFixed(0)} | ${(cpu / cpuBase).toFixed(2)} | ${rs.reduce((a, r) => a + r.non2xx, 0)} |`,
    );
  }
  lines.push('', `OTLP bytes exported during the run: ${exported}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  sink.close();
}

function stopAll() {
  for (const c of children) {
    try {
      if (c.pid !== undefined && c.exitCode === null) process.kill(-c.pid, 'SIGTERM');
    } catch {}
  }
}

main().then(
  () => {
    stopAll();
    setTimeout(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }, 500);
  },
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    stopAll();
    process.exit(1);
  },
);
