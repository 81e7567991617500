// bench/lib/load: the load generator (wrk), with CPU of the processes under test counted over
// exactly the run. One wrk thread, keep-alive connections, latency percentiles.

import { watchCpu } from './cpu.ts';
import { childGroups, exited, pinned, start } from './processes.ts';

/** What to send: a URL with fixed headers, or a URL and a wrk Lua script with its arguments. */
export interface LoadTarget {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly lua?: { readonly script: string; readonly args: readonly string[] };
}

export interface LoadOptions {
  readonly wrk: string;
  readonly taskset: string | null;
  /** CPU list for wrk, or null. */
  readonly cpu: string | null;
  readonly seconds: number;
  readonly connections: number;
  /** Process groups whose CPU is counted (the proxy under test). */
  readonly watch?: readonly number[];
}

export interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly socketErrors: string | null;
  /** CPU seconds (user + system, every thread) of the watched groups together. */
  readonly watchedCpuSeconds: number;
  /** CPU used by processes this bench did not start, in cores. */
  readonly otherCores: number;
}

function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Reads wrk's `--latency` report. */
export function parseWrk(out: string): Omit<LoadResult, 'watchedCpuSeconds' | 'otherCores'> {
  const number = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : Number.NaN;
  };
  const percentile = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? toMs(m[1] as string) : Number.NaN;
  };
  const errors = /Socket errors: (.*)/.exec(out);
  return {
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests: number(/(\d+) requests in/),
    non2xx: /Non-2xx or 3xx responses: (\d+)/.test(out) ? number(/Non-2xx or 3xx responses: (\d+)/) : 0,
    socketErrors: errors ? (errors[1] as string) : null,
  };
}

function wrkArgs(o: LoadOptions, target: LoadTarget): string[] {
  const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '--timeout', '5s'];
  for (const [name, value] of Object.entries(target.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (target.lua) return [...args, '-s', target.lua.script, target.url, '--', ...target.lua.args];
  return [...args, target.url];
}

/** One wrk run against `target`; throws when wrk fails or its output cannot be read. */
export async function runLoad(o: LoadOptions, target: LoadTarget): Promise<LoadResult> {
  const [command, argv] = pinned(o.taskset, o.cpu, o.wrk, wrkArgs(o, target));
  const proc = start(command, argv);
  const watch = watchCpu(o.watch ?? [], childGroups());
  const timer = setInterval(watch.sample, 250);
  await new Promise<void>((resolve) => {
    if (exited(proc.child)) resolve();
    else proc.child.once('exit', () => resolve());
  });
  clearInterval(timer);
  const cpu = watch.end();
  const out = proc.output();
  if (proc.child.exitCode !== 0) throw new Error(`wrk failed (${proc.child.exitCode}):\n${out}`);
  const result = parseWrk(out);
  if (!Number.isFinite(result.rps)) throw new Error(`cannot read wrk's output:\n${out}`);
  let watched = 0;
  for (const s of cpu.groupSeconds.values()) watched += s;
  return { ...result, watchedCpuSeconds: watched, otherCores: cpu.otherCores };
}
