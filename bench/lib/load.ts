// bench/lib/load: the load generators, wrk (HTTP/1.1, keep-alive, over http:// or https://) and
// h2load (HTTP/2), with CPU of the processes under test counted over exactly the measured run.
// One client thread, keep-alive connections, latency percentiles; both give the same LoadResult.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CpuUse, watchCpu } from './cpu.ts';
import { childGroups, exited, pinned, type Started, scratch, start } from './processes.ts';

/** What to send: a URL with fixed headers, or a URL and a wrk Lua script with its arguments. */
export interface LoadTarget {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly lua?: { readonly script: string; readonly args: readonly string[] };
  /** HTTP/2 with h2load (`-m` streams per connection) instead of wrk. No Lua then. */
  readonly http2?: { readonly streams: number };
}

export interface LoadOptions {
  readonly wrk: string;
  /** Needed for `http2` targets only. */
  readonly h2load?: string | null;
  readonly taskset: string | null;
  /** CPU list for wrk, or null. */
  readonly cpu: string | null;
  readonly seconds: number;
  readonly connections: number;
  /** Process groups whose CPU is counted (the proxy under test). */
  readonly watch?: readonly number[];
  /**
   * h2load only: a warm-up inside the same run (`--warm-up-time`), before `seconds` are measured,
   * so that its connections are made before. h2load never stops a client whose TLS handshake
   * completes after the duration has ended (its stop reaches only clients with a session; the late
   * one then sends requests for ever and h2load never exits), which happens whenever a busy proxy
   * takes longer than warm-up and duration to complete every handshake (a Node proxy on a shared
   * core does, with 64 connections of 10 streams each). So h2load is stopped soon after it says the
   * duration is over, and the figures are read from its per-request log, not its summary.
   */
  readonly warmupSeconds?: number;
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
  /**
   * h2load went on after its duration and was stopped by the bench: a connection's handshake
   * completed after the duration had ended (it never stops such a client). Figures are whole.
   */
  readonly stopped?: boolean;
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

/**
 * Reads h2load's `--log-file`: a line per request that ended within the measured duration (start
 * in µs since the epoch, status or -1 for a stream that failed, µs to the end of the response).
 * Everything is taken from it, not from h2load's summary, which it prints only when it exits.
 */
export function parseH2loadLog(
  log: string,
  seconds: number,
): Omit<LoadResult, 'watchedCpuSeconds' | 'otherCores'> {
  const lines = log
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length === 3);
  const failed = lines.filter((f) => f[1] === '-1').length;
  const times = lines
    .filter((f) => f[1] !== '-1')
    .map((f) => Number(f[2]) / 1000)
    .sort((a, b) => a - b);
  const at = (q: number) =>
    times.length ? (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number) : Number.NaN;
  return {
    rps: lines.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    requests: lines.length,
    // wrk's "Non-2xx or 3xx responses" are those of 400 and up.
    non2xx: lines.filter((f) => Number(f[1]) >= 400).length,
    socketErrors: failed > 0 ? `${failed} streams failed` : null,
  };
}

function h2loadArgs(o: LoadOptions, target: LoadTarget, log: string): string[] {
  if (target.lua) throw new Error('h2load takes no wrk Lua script');
  const args = [
    '-c',
    String(o.connections),
    '-m',
    String(target.http2?.streams ?? 1),
    '-D',
    String(o.seconds),
  ];
  if (o.warmupSeconds) args.push('--warm-up-time', String(o.warmupSeconds));
  for (const [name, value] of Object.entries(target.headers ?? {}))
    args.push('-H', `${name.toLowerCase()}: ${value}`);
  return [...args, '--log-file', log, target.url];
}

interface Marks {
  /** Printed when the measured part starts (CPU counted from then; from the start when null). */
  readonly begins: RegExp | null;
  /** Printed when it ends (CPU counted up to then, and the tool stopped if it has not exited soon after; its exit when null). */
  readonly ends: RegExp | null;
}

/** Stopped this long after its `ends` line (h2load: see LoadOptions.warmupSeconds). */
const STOP_GRACE_MS = 3000;

/**
 * Runs a load tool, CPU watched between its `marks`. A tool still running `limitMs` after the
 * start is killed and its output thrown; one that goes on past its `ends` line is stopped.
 */
async function watchedRun(
  o: LoadOptions,
  command: string,
  argv: string[],
  marks: Marks,
  limitMs: number,
): Promise<{ proc: Started; cpu: CpuUse; stopped: boolean }> {
  const [c, a] = pinned(o.taskset, o.cpu, command, argv);
  const proc = start(c, a);
  let watch: ReturnType<typeof watchCpu> | null = null;
  let cpu: CpuUse | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopper: NodeJS.Timeout | undefined;
  let stopped = false;
  const begin = () => {
    watch ??= watchCpu(o.watch ?? [], childGroups());
    timer ??= setInterval(() => watch?.sample(), 250);
  };
  const end = () => {
    if (watch === null || cpu !== null) return;
    clearInterval(timer);
    cpu = watch.end();
  };
  if (marks.begins === null) begin();
  proc.child.stdout?.on('data', () => {
    const out = proc.output();
    if (marks.begins?.test(out)) begin();
    if (marks.ends?.test(out) && watch !== null && cpu === null) {
      end();
      stopper = setTimeout(() => {
        stopped = true;
        proc.child.kill('SIGKILL');
      }, STOP_GRACE_MS);
    }
  });
  const killer = setTimeout(() => proc.child.kill('SIGKILL'), limitMs);
  await new Promise<void>((resolve) => {
    if (exited(proc.child)) resolve();
    else proc.child.once('exit', () => resolve());
  });
  clearTimeout(killer);
  clearTimeout(stopper);
  end();
  if (proc.child.signalCode === 'SIGKILL' && !stopped)
    throw new Error(`${command} did not finish within ${limitMs / 1000} s:\n${proc.output()}`);
  if (cpu === null) throw new Error(`${command} never started measuring:\n${proc.output()}`);
  return { proc, cpu, stopped };
}

/**
 * One wrk (or, for an `http2` target, h2load) run against `target`; throws when it fails or its
 * output cannot be read.
 */
export async function runLoad(o: LoadOptions, target: LoadTarget): Promise<LoadResult> {
  // Past the run's own length, a minute for a slow start and stop.
  const limitMs = 1000 * (o.seconds + (o.warmupSeconds ?? 0) + 60);
  if (target.http2 === undefined) {
    const { proc, cpu } = await watchedRun(
      o,
      o.wrk,
      wrkArgs(o, target),
      { begins: null, ends: null },
      limitMs,
    );
    const out = proc.output();
    if (proc.child.exitCode !== 0) throw new Error(`wrk failed (${proc.child.exitCode}):\n${out}`);
    const result = parseWrk(out);
    if (!Number.isFinite(result.rps)) throw new Error(`cannot read wrk's output:\n${out}`);
    return withCpu(result, cpu);
  }
  if (!o.h2load) throw new Error('an HTTP/2 row needs h2load (Debian: apt-get install -y nghttp2-client)');
  const log = join(scratch(), `h2load-${process.pid}-${Date.now()}.log`);
  const marks = {
    begins: o.warmupSeconds ? /Main benchmark duration is started/ : null,
    ends: /Main benchmark duration is over/,
  };
  const { proc, cpu, stopped } = await watchedRun(o, o.h2load, h2loadArgs(o, target, log), marks, limitMs);
  if (!stopped && proc.child.exitCode !== 0)
    throw new Error(`h2load failed (${proc.child.exitCode}):\n${proc.output()}`);
  const result = parseH2loadLog(readFileSync(log, 'utf8'), o.seconds);
  if (result.requests === 0) throw new Error(`h2load completed no request:\n${proc.output()}`);
  return withCpu(result, cpu, stopped);
}

function withCpu(
  r: Omit<LoadResult, 'watchedCpuSeconds' | 'otherCores'>,
  cpu: CpuUse,
  stopped = false,
): LoadResult {
  let watched = 0;
  for (const s of cpu.groupSeconds.values()) watched += s;
  return { ...r, watchedCpuSeconds: watched, otherCores: cpu.otherCores, ...(stopped ? { stopped } : {}) };
}
