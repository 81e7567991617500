// bench/gateway --profile: the jwtgate HS256 row and the bare proxy under the same load with
// `node --cpu-prof`, then self time by module in µs per request (samples while the load ran
// only; V8's sample times and process.hrtime are the same monotonic clock on Linux). V8 samples
// on a wall-clock interval: on a loaded machine the µs include time the process waited; compare
// shares within a run, or µs between quiet runs.

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmtRate, table } from '../lib/format.ts';
import { waitReady } from '../lib/http-check.ts';
import { runLoad } from '../lib/load.ts';
import { freePort, ROOT, scratch, startNode, stop } from '../lib/processes.ts';
import type { Fixtures } from './fixtures.ts';
import type { RowSpec, Setup } from './setup.ts';

const SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

/** The module a frame belongs to: a file of ours, a package, a node: module, or V8's own bucket. */
function moduleOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url.replace(`file://${ROOT}`, '');
  if (url === '') return frame.functionName || '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:internal/')) return url.split('/').slice(0, 3).join('/');
  return url;
}

/** Self time (µs) by module and by function between two monotonic times (µs). */
function selfTimes(file: string, fromUs: number, toUs: number) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    // A sample's delta is the time since the previous one: the time it stands for.
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs) return;
    const n = byId.get(id);
    if (!n || n.callFrame.functionName === '(idle)') return;
    const m = moduleOf(n.callFrame);
    modules.set(m, (modules.get(m) ?? 0) + dt);
    const f = `${n.callFrame.functionName || '(anonymous)'} ${m}:${n.callFrame.lineNumber + 1}`;
    functions.set(f, (functions.get(f) ?? 0) + dt);
  });
  return { modules, functions };
}

export async function profileRows(
  fixtures: Fixtures,
  tools: { wrk: string; taskset: string },
  rows: readonly RowSpec[],
): Promise<void> {
  const setup: Setup = {
    name: 'A',
    title: 'profile',
    proxyCpu: '0',
    clientCpu: '1',
    workers: 1,
    taskset: tools.taskset,
  };
  const upstreamPort = await freePort();
  const upstream = startNode(setup.taskset, setup.clientCpu, [
    join(import.meta.dirname, 'servers/upstream.ts'),
    String(upstreamPort),
  ]);
  await waitReady(upstreamPort, '/', upstream, 'upstream');
  const out: {
    label: string;
    rps: number;
    requests: number;
    modules: Map<string, number>;
    functions: Map<string, number>;
  }[] = [];
  try {
    for (const key of (process.env.BENCH_PROFILE_ROWS ?? 'bare,hs').split(',')) {
      const spec = rows.find((r) => r.key === key);
      if (!spec) throw new Error(`no row ${key}`);
      const dir = mkdtempSync(join(scratch(), 'prof-'));
      const row = await spec.start({
        setup,
        upstreamPort,
        fixtures,
        nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      });
      const o = { wrk: tools.wrk, taskset: tools.taskset, cpu: setup.clientCpu, connections: 64 };
      await row.prepare?.({ seconds: WARMUP_SECONDS });
      const warm = await runLoad({ ...o, seconds: WARMUP_SECONDS }, row.warmup ?? row.target);
      await row.prepare?.({ seconds: SECONDS, rps: warm.rps });
      const from = Number(process.hrtime.bigint() / 1000n);
      const result = await runLoad({ ...o, seconds: SECONDS }, row.target);
      const to = Number(process.hrtime.bigint() / 1000n);
      await row.stop();
      const file = readdirSync(dir).find((n) => n.endsWith('.cpuprofile'));
      if (!file) throw new Error(`${key}: no profile written`);
      // With --workers or cluster there would be several; the profile setup has one process.
      out.push({
        label: spec.label(setup),
        rps: result.rps,
        requests: result.requests,
        ...selfTimes(join(dir, file), from, to),
      });
    }
  } finally {
    await stop(upstream);
  }
  const names = new Set<string>();
  for (const o of out) for (const [m, v] of o.modules) if (v / o.requests >= 0.3) names.add(m);
  const perReq = (o: (typeof out)[0], m: string) => ((o.modules.get(m) ?? 0) / o.requests).toFixed(1);
  const total = (o: (typeof out)[0]) => [...o.modules.values()].reduce((a, b) => a + b, 0) / o.requests;
  const sorted = [...names].sort(
    (a, b) => (out.at(-1)?.modules.get(b) ?? 0) - (out.at(-1)?.modules.get(a) ?? 0),
  );
  console.log(
    `\n### Profile: self time by module, µs per request (setup A, ${SECONDS} s of wrk -c64 each, --cpu-prof on)\n`,
  );
  console.log(
    table(
      ['module', ...out.map((o) => `${o.label} (${fmtRate(o.rps)} req/s)`)],
      [
        ...sorted.map((m) => [`\`${m}\``, ...out.map((o) => perReq(o, m))]),
        ['**main thread total** (samples not idle)', ...out.map((o) => `**${total(o).toFixed(1)}**`)],
      ],
    ),
  );
  for (const o of out) {
    console.log(`\n#### Top functions, ${o.label} (µs per request, self)\n`);
    const top = [...o.functions].sort((a, b) => b[1] - a[1]).slice(0, 20);
    console.log(
      table(
        ['µs/req', 'function'],
        top.map(([f, v]) => [(v / o.requests).toFixed(2), `\`${f}\``]),
        'rl',
      ),
    );
  }
}
