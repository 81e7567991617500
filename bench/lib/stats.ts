// bench/lib/stats: medians and spreads of a series of rounds.

/** The q-quantile (0..1) of `values`, interpolated. */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (at - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Element-wise a[i] / b[i]: per-round ratios of two series. */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((v, i) => v / (b[i] as number));
}

/** Element-wise a[i] - b[i]: per-round differences of two series. */
export function differences(a: readonly number[], b: readonly number[]): number[] {
  return a.map((v, i) => v - (b[i] as number));
}

/** `median (min–max)` of a series, each number formatted by `f`. */
export function formatMinMax(values: readonly number[], f: (n: number) => string): string {
  return `${f(median(values))} (${f(quantile(values, 0))}–${f(quantile(values, 1))})`;
}

/** `median (p25–p75)` of a series, each number formatted by `f`: the spread is the middle half of the rounds. */
export function formatSpread(values: readonly number[], f: (n: number) => string): string {
  return `${f(median(values))} (${f(quantile(values, 0.25))}–${f(quantile(values, 0.75))})`;
}
