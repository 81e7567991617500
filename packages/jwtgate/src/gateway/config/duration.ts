import type { Duration } from './types.ts';

const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a schema-validated duration (`250ms`, `5s`, `2m`, `1h`, or a number of ms). */
export function toMs(value: Duration): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)(ms|s|m|h)$/.exec(value);
  if (!m) throw new Error(`invalid duration ${value}`);
  return Number(m[1]) * (UNIT[m[2] as string] as number);
}
