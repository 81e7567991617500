// Interleaved measurement in CPU time: every contender runs a short slice in each round, in an
// order that rotates from round to round, so a burst of load from another process lands on all
// of them alike. Ratios are taken within a round (a round lasts about a second) and the report
// gives their median with the spread over rounds. Many short rounds rather than a few long ones:
// on this 2-core machine another process on the other core slows everything down for seconds at
// a time, and the median of many rounds steps over those.

import { formatSpread, median, quantile, ratios } from '../lib/stats.ts';
/** A contender: a sync function, or an async one that is awaited on every call. */
export interface Contender {
  readonly name: string;
  readonly run: () => unknown;
  readonly isAsync: boolean;
}

/** Calls between two looks at the clock: about 2 ms of work, found while warming up. */
const batches = new WeakMap<Contender, number>();

/** CPU time this process has used, in µs (all its threads: GC helpers count too). */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Operations per CPU second of `c`, run until it has used `ms` of CPU time. CPU time, not wall
 * time: on a shared machine the process is descheduled at random, and wall time would charge
 * that to whichever contender was running.
 */
export async function measureRate(c: Contender, ms: number): Promise<number> {
  const fn = c.run;
  const BATCH = batches.get(c) ?? 10;
  let n = 0;
  const start = cpuMicros();
  const end = start + ms * 1000;
  let now = start;
  if (c.isAsync) {
    while (now < end) {
      for (let i = 0; i < BATCH; i++) await fn();
      n += BATCH;
      now = cpuMicros();
    }
  } else {
    while (now < end) {
      for (let i = 0; i < BATCH; i++) fn();
      n += BATCH;
      now = cpuMicros();
    }
  }
  const rate = (n * 1e6) / (now - start);
  if (!batches.has(c)) batches.set(c, Math.max(1, Math.round(rate / 500)));
  return rate;
}

/**
 * Runs every contender once for `warmMs` (so each is compiled before it is timed), then `rounds`
 * rounds of `sliceMs` each; returns each contender's ops/s per round.
 */
export async function measureInterleaved(
  contenders: readonly Contender[],
  options: { rounds: number; sliceMs: number; warmMs: number },
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const c of contenders) {
    await measureRate(c, options.warmMs / 4); // sets the batch size
    await measureRate(c, options.warmMs);
  }
  for (let r = 0; r < options.rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + r) % contenders.length] as Contender;
      out.get(c.name)?.push(await measureRate(c, options.sliceMs));
    }
  }
  return out;
}

export { formatSpread, median, quantile, ratios };

/** Element-wise maximum: for a floor given by several equivalent variants, the fastest per round. */
export function fastest(series: readonly (readonly number[])[]): number[] {
  const first = series[0] ?? [];
  return first.map((_, i) => Math.max(...series.map((s) => s[i] as number)));
}

const ops = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));

/** Ops/s, e.g. `75.4k (71.0k–80.2k)`. */
export function formatRate(values: readonly number[]): string {
  return formatSpread(values, ops);
}

/** A ratio, e.g. `0.52x (0.49–0.55)`. */
export function formatRatio(values: readonly number[]): string {
  return `${median(values).toFixed(2)}x (${quantile(values, 0.25).toFixed(2)}–${quantile(values, 0.75).toFixed(2)})`;
}
