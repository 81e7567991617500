// bench/gateway: CPU per request, requests per second and latency through the jwtgate gateway
// beside a bare Node proxy, fastify's and express's usual JWT + proxy plugins and nginx, all in
// front of the same upstream, in the same run, driven by wrk. Every row is started once per
// setup, then measured in interleaved rounds (bench/lib/rounds.ts); the tables give medians with
// the spread (min–max over rounds) and ratios to the bare proxy taken within each round. Not a
// test: nothing here fails on a number (it does stop when a proxy answers wrongly).
//
//   npm run bench:gateway                      (both setups, about 10 minutes)
//   BENCH_ROUNDS=5 BENCH_SECONDS=5 BENCH_WARMUP_SECONDS=2 npm run bench:gateway
//   npm run bench:gateway -- --only=A          (one setup: A or B)
//   npm run bench:gateway -- --rows=bare,hs    (a subset of rows, by key; extra rows only so;
//                                              a row's `baseline` row comes with it)
//   npm run bench:gateway -- --profile         (CPU profiles of the gateway and the bare proxy)
//
// Rows are modules in rows/ (see RowSpec in setup.ts). Needs wrk, nginx and taskset (Debian:
// apt-get install -y wrk nginx-light util-linux); the HTTP/2 rows h2load (nghttp2-client) and
// the TLS rows openssl. Everything listens on 127.0.0.1 and is
// stopped before the script exits; nginx runs with its own prefix (never the system service).

import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fmtMs, fmtPct, fmtRate, fmtRatio, fmtUs, table } from '../lib/format.ts';
import { waitReady } from '../lib/http-check.ts';
import { type LoadResult, runLoad } from '../lib/load.ts';
import { findTool, freePort, requireTools, sleep, startNode, stop } from '../lib/processes.ts';
import { interleave } from '../lib/rounds.ts';
import { formatMinMax, median, ratios } from '../lib/stats.ts';
import { makeFixtures } from './fixtures.ts';
import { loadRows } from './load-rows.ts';
import { profileRows } from './profile.ts';
import { HTTP2_STREAMS, type RowSpec, type RunningRow, type Setup } from './setup.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
/** Others using more than this share of a core during a run: that run is repeated once. */
const DISTURBED = Number(process.env.BENCH_DISTURBED ?? 0.5);
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const onlyRows = args
  .find((a) => a.startsWith('--rows='))
  ?.slice('--rows='.length)
  .split(',');

const tools = requireTools({ wrk: 'wrk', nginx: 'nginx-light', taskset: 'util-linux' }, 'bench:gateway');
const h2load = findTool('h2load');

interface Measured {
  readonly result: LoadResult;
  readonly cpuUs: number;
  readonly note: string;
}

async function measureOnce(setup: Setup, row: RunningRow): Promise<Measured> {
  const load = (seconds: number, watch: boolean, target = row.target, warmupSeconds = 0) =>
    runLoad(
      {
        wrk: tools.wrk,
        h2load,
        taskset: tools.taskset,
        cpu: setup.clientCpu,
        seconds,
        connections: CONNECTIONS,
        watch: watch ? row.procs.map((p) => p.pgid) : [],
        warmupSeconds,
      },
      target,
    );
  // h2load warms up inside the measured run (its connections are made then; see LoadOptions).
  const h2 = row.target.http2 !== undefined;
  const attempt = async (): Promise<Measured> => {
    if (!h2) await load(WARMUP_SECONDS, false, row.warmup ?? row.target);
    const before = (await row.counters?.()) ?? {};
    const result = await load(SECONDS, true, row.target, h2 ? WARMUP_SECONDS : 0);
    const after = (await row.counters?.()) ?? {};
    const delta = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
    return {
      result,
      cpuUs: (result.watchedCpuSeconds * 1e6) / result.requests,
      note: [row.note?.(delta), result.stopped ? 'h2load stopped after its duration (a late handshake)' : '']
        .filter((n) => n)
        .join('; '),
    };
  };
  let m = await attempt();
  if (m.result.otherCores > DISTURBED) {
    process.stderr.write(`  (other processes used ${fmtPct(m.result.otherCores)} of a core; once more)\n`);
    await sleep(3000);
    const again = await attempt();
    if (again.result.otherCores < m.result.otherCores) m = again;
  }
  for (const p of row.procs)
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(`a process of the row exited during the run:\n${p.output()}`);
  return m;
}

interface RowResult {
  readonly spec: RowSpec;
  readonly rounds: Measured[];
}

async function runSetup(setup: Setup, specs: RowSpec[]): Promise<RowResult[]> {
  const fixtures = await fixturesOnce;
  const upstreamPort = await freePort();
  const upstream = startNode(setup.taskset, setup.clientCpu, [
    join(import.meta.dirname, 'servers/upstream.ts'),
    String(upstreamPort),
  ]);
  const running: RunningRow[] = [];
  try {
    await waitReady(upstreamPort, '/', upstream, 'upstream');
    for (const spec of specs) {
      process.stderr.write(`setup ${setup.name}: starting ${spec.key}\n`);
      running.push(await spec.start({ setup, upstreamPort, fixtures }));
    }
    const rounds = await interleave(
      running,
      ROUNDS,
      (row) => measureOnce(setup, row),
      (row, round, m) => {
        const spec = specs[running.indexOf(row)] as RowSpec;
        process.stderr.write(
          `setup ${setup.name} round ${round + 1}/${ROUNDS}: ${spec.key}: ${fmtRate(m.result.rps)} req/s, ` +
            `CPU ${fmtUs(m.cpuUs)} µs/req, p99 ${fmtMs(m.result.p99Ms)} ms, non-2xx ${m.result.non2xx}, ` +
            `other CPU ${fmtPct(m.result.otherCores)}${m.note ? `, ${m.note}` : ''}\n`,
        );
      },
    );
    return specs.map((spec, i) => ({ spec, rounds: rounds[i] as Measured[] }));
  } finally {
    for (const r of running) await r.stop();
    await stop(upstream);
  }
}

function printTable(setup: Setup, results: RowResult[]): void {
  const bare = results.find((r) => r.spec.key === 'bare');
  const fastify = results.find((r) => r.spec.key === 'fastify');
  const series = (r: RowResult, f: (m: Measured) => number) => r.rounds.map(f);
  const rps = (m: Measured) => m.result.rps;
  const cpu = (m: Measured) => m.cpuUs;
  console.log(`\n### Setup ${setup.name}: ${setup.title}\n`);
  const byKey = new Map(results.map((r) => [r.spec.key, r]));
  const rows = results.map((r) => {
    const base = r.spec.baseline === undefined ? undefined : byKey.get(r.spec.baseline);
    const problems: string[] = [];
    const non2xx = r.rounds.reduce((n, m) => n + m.result.non2xx, 0);
    if (non2xx > 0) problems.push(`**${non2xx} non-2xx**`);
    const errors = r.rounds.map((m) => m.result.socketErrors).filter((e) => e !== null);
    if (errors.length > 0) problems.push(`**socket errors: ${errors[0]}**`);
    const notes = [...new Set(r.rounds.map((m) => m.note).filter((n) => n))];
    return [
      r.spec.label(setup),
      formatMinMax(series(r, cpu), fmtUs),
      bare ? fmtRatio(median(ratios(series(r, cpu), series(bare, cpu)))) : '-',
      formatMinMax(series(r, rps), fmtRate),
      bare ? fmtRatio(median(ratios(series(r, rps), series(bare, rps)))) : '-',
      fastify ? fmtRatio(median(ratios(series(fastify, cpu), series(r, cpu)))) : '-',
      base
        ? `${fmtRatio(median(ratios(series(r, cpu), series(base, cpu))))} / ${fmtRatio(median(ratios(series(r, rps), series(base, rps))))} (${base.spec.key})`
        : '-',
      fmtMs(median(series(r, (m) => m.result.p50Ms))),
      fmtMs(median(series(r, (m) => m.result.p99Ms))),
      fmtPct(Math.max(...series(r, (m) => m.result.otherCores))),
      [...problems, ...notes].join('; ') || 'all 2xx',
    ];
  });
  console.log(
    table(
      [
        'proxy',
        'CPU µs/req (min–max)',
        'CPU ÷ bare',
        'req/s (min–max)',
        'req/s ÷ bare',
        'efficiency ÷ fastify',
        'CPU / req/s ÷ baseline',
        'p50 ms',
        'p99 ms',
        'others’ CPU (max)',
        'notes',
      ],
      rows,
      'lrrrrrrrrrl',
    ),
  );
}

function describeMachine(): string {
  const wrk = /wrk (\S+)/.exec(spawnSync(tools.wrk, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  const nginx = /nginx\/(\S+)/.exec(spawnSync(tools.nginx, ['-v'], { encoding: 'utf8' }).stderr)?.[1] ?? '?';
  return `node ${process.version}, nginx ${nginx}, wrk ${wrk}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`;
}

process.stderr.write('signing HS256 tokens for the fresh-token rows...\n');
const fixturesOnce = makeFixtures();
const allRows = await loadRows();
const wanted = new Set(onlyRows ?? allRows.filter((r) => !r.extra).map((r) => r.key));
for (const r of allRows) if (wanted.has(r.key) && r.baseline !== undefined) wanted.add(r.baseline);
const unknown = [...wanted].filter((k) => !allRows.some((r) => r.key === k));
if (unknown.length > 0) throw new Error(`bench:gateway: no row ${unknown.join(', ')}`);
const specs = allRows.filter((r) => wanted.has(r.key));
if (args.includes('--profile')) {
  await profileRows(await fixturesOnce, tools, allRows);
} else {
  const setups: Setup[] = [
    {
      name: 'A',
      title: 'one process per proxy pinned to core 0 (`taskset -c 0`); wrk and the upstream pinned to core 1',
      proxyCpu: '0',
      clientCpu: '1',
      workers: 1,
      taskset: tools.taskset,
    },
    {
      name: 'B',
      title:
        'two processes per proxy (jwtgate `--workers 2`, node:cluster with 2 for the other Node proxies, nginx `worker_processes 2`); nothing pinned: proxies, wrk and the upstream share both cores',
      proxyCpu: null,
      clientCpu: null,
      workers: 2,
      taskset: tools.taskset,
    },
  ];
  let first = true;
  for (const s of setups.filter((s) => only === undefined || s.name === only)) {
    const results = await runSetup(s, specs);
    if (first) printMethod();
    first = false;
    // Printed as soon as a setup is done: a later failure keeps it.
    printTable(s, results);
  }
}

function printMethod(): void {
  console.log(
    [
      `\n## jwtgate gateway (${describeMachine()}; ${new Date().toISOString()})\n`,
      `- Load: \`wrk -t1 -c${CONNECTIONS} -d${SECONDS}s --latency\` after a ${WARMUP_SECONDS} s warm-up, per row and round; ${ROUNDS} interleaved rounds (the order rotates each round); every row started once per setup. HTTP/2 rows: \`h2load -c${CONNECTIONS} -m${HTTP2_STREAMS} -D${SECONDS} --warm-up-time ${WARMUP_SECONDS}\` (one run: its connections are made in the warm-up; CPU counted from the end of the warm-up; p50/p99 from its per-request log).`,
      '- "CPU / req/s ÷ baseline": for a row with a baseline other than bare (TLS rows: nginx terminating TLS the same way; the signed-identity row: the plain HS256 route), the medians of per-round ratios of CPU per request and of req/s to that row.',
      '- CPU µs/req: user + system time of the proxy (every process of its group, every thread) over responses, from /proc/PID/stat. Ratios are medians of per-round ratios; "efficiency ÷ fastify" is the fastify row\'s CPU per request over this row\'s.',
      '- "others’ CPU": the most that processes not started by this bench used during one of the row\'s runs (the machine may be shared); a run above `BENCH_DISTURBED` (default 50%) of a core is repeated once, keeping the quieter.',
      '- Upstream: one node:http process answering ~100 bytes of JSON, keep-alive. Baselines get the same Authorization header as the HS256 rows.',
    ].join('\n'),
  );
}
