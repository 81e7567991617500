// bench/lib/format: numbers as the reports print them, and markdown tables.

export const fmtRate = (n: number) =>
  !Number.isFinite(n) ? '?' : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
export const fmtUs = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '?');
export const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '?');
export const fmtRatio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : '-');
export const fmtPct = (n: number) => (Number.isFinite(n) ? `${(100 * n).toFixed(0)}%` : '?');

/** A markdown table; `align` per column: 'l' or 'r' (default 'r' but the first column). */
export function table(head: readonly string[], rows: readonly (readonly string[])[], align?: string): string {
  const a = align ?? `l${'r'.repeat(head.length - 1)}`;
  const sep = head.map((_, i) => (a[i] === 'l' ? '---' : '---:'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
