// Interleaved measurement in CPU time: every contender runs a short slice in each round, in an order that
// rotates from round to round, so a burst of load from another process lands on all of them
// alike. Ratios are taken within a round (contender and baseline measured seconds apart) and the
// report gives their median with the spread over rounds.

/** A contender: a sync function, or an async one that is awaited on every call. */
export interface Contender {
  readonly name: string;
  readonly run: () => unknown;
  readonly isAsync: boolean;
}

const BATCH = 200;

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
  return (n * 1e6) / (now - start);
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
  for (const c of contenders) await measureRate(c, options.warmMs);
  for (let r = 0; r < options.rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + r) % contenders.length] as Contender;
      out.get(c.name)?.push(await measureRate(c, options.sliceMs));
    }
  }
  return out;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Element-wise a[i] / b[i]: per-round ratios of two contenders. */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((v, i) => v / (b[i] as number));
}

/** Element-wise maximum: for a floor given by several equivalent variants, the fastest per round. */
export function fastest(series: readonly (readonly number[])[]): number[] {
  const first = series[0] ?? [];
  return first.map((_, i) => Math.max(...series.map((s) => s[i] as number)));
}

const ops = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));

/** `median` ops/s with the spread over rounds, e.g. `75.4k (71.0–80.2k)`. */
export function formatRate(values: readonly number[]): string {
  return `${ops(median(values))} (${ops(Math.min(...values))}–${ops(Math.max(...values))})`;
}

/** Median ratio with its spread, e.g. `0.52x (0.49–0.55)`. */
export function formatRatio(values: readonly number[]): string {
  return `${median(values).toFixed(2)}x (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
}

/** Median of per-round µs per operation from ops/s, with the spread. */
export function formatMicros(values: readonly number[]): string {
  const us = values.map((v) => 1e6 / v);
  return `${median(us).toFixed(2)} (${Math.min(...us).toFixed(2)}–${Math.max(...us).toFixed(2)})`;
}
