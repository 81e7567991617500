import type { AuditEvent } from '../../store/types.ts';
import { esc } from './console-page.ts';

/** The chart's time ranges: the last 24 hours by the hour, or the last hour by 5 minutes. */
export const ACTIVITY_RANGES = {
  '24h': { label: 'last 24 hours', bucketMs: 3600_000, buckets: 24 },
  '1h': { label: 'last hour', bucketMs: 5 * 60_000, buckets: 12 },
} as const;

export type ActivityRange = keyof typeof ACTIVITY_RANGES;

export interface ActivityBucket {
  /** Start of the bucket (ms), inclusive. */
  readonly start: number;
  readonly tokens: number;
  readonly failures: number;
}

/** Which events count as a login failure in the chart. */
const FAILURE_TYPES = new Set(['login.failed', 'auth.failed']);

/**
 * Counts token.issued and failed logins (users' login.failed, clients' auth.failed) into the
 * range's buckets, the last one ending at `nowMs`; older or future events are left out.
 *
 * @example
 * bucketActivity(events, '1h', Date.now()); // 12 buckets of 5 minutes
 */
export function bucketActivity(
  events: readonly AuditEvent[],
  range: ActivityRange,
  nowMs: number,
): ActivityBucket[] {
  const { bucketMs, buckets } = ACTIVITY_RANGES[range];
  const end = Math.floor(nowMs / bucketMs) * bucketMs + bucketMs;
  const first = end - buckets * bucketMs;
  const counts = Array.from({ length: buckets }, (_, i) => ({
    start: first + i * bucketMs,
    tokens: 0,
    failures: 0,
  }));
  for (const e of events) {
    if (e.at < first || e.at >= end) continue;
    const bucket = counts[Math.floor((e.at - first) / bucketMs)];
    if (bucket === undefined) continue;
    if (e.type === 'token.issued') bucket.tokens++;
    else if (FAILURE_TYPES.has(e.type)) bucket.failures++;
  }
  return counts;
}

/** `14:00` (UTC) for hourly buckets and 5-minute ones alike. */
export function bucketLabel(start: number): string {
  return new Date(start).toISOString().slice(11, 16);
}

/**
 * The chart as inline SVG, drawn on the server (the console runs no script): two bars per bucket,
 * tokens issued and failures. role="img" with a <title> and a <desc> that states the totals; the
 * numbers of every bucket are in the table next to it, for screen readers and for copying.
 */
export function renderActivityChart(buckets: readonly ActivityBucket[], rangeLabel: string): string {
  const width = 720;
  const height = 220;
  const left = 36;
  const bottom = 24;
  const top = 12;
  const plotH = height - top - bottom;
  const slot = (width - left - 8) / Math.max(1, buckets.length);
  const bar = Math.max(2, slot / 2 - 2);
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.tokens, b.failures)));
  const y = (n: number) => top + plotH - (n / max) * plotH;
  const totalTokens = buckets.reduce((n, b) => n + b.tokens, 0);
  const totalFailures = buckets.reduce((n, b) => n + b.failures, 0);
  const every = Math.ceil(buckets.length / 12);
  const bars = buckets
    .map((b, i) => {
      const x = left + i * slot + 1;
      const label =
        i % every === 0
          ? `<text x="${x + bar}" y="${height - 8}" text-anchor="middle">${bucketLabel(b.start)}</text>`
          : '';
      return (
        `<g data-start="${new Date(b.start).toISOString()}" data-tokens="${b.tokens}" data-failures="${b.failures}">` +
        `<rect class="tokens" x="${x.toFixed(1)}" y="${y(b.tokens).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + plotH - y(b.tokens)).toFixed(1)}"><title>${bucketLabel(b.start)}: ${b.tokens} tokens issued</title></rect>` +
        `<rect class="failures" x="${(x + bar + 1).toFixed(1)}" y="${y(b.failures).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + plotH - y(b.failures)).toFixed(1)}"><title>${bucketLabel(b.start)}: ${b.failures} login failures</title></rect>` +
        `${label}</g>`
      );
    })
    .join('\n');
  const title = `Tokens issued and login failures, ${rangeLabel}`;
  const desc = `${totalTokens} tokens issued and ${totalFailures} login failures in the ${rangeLabel}; the busiest interval had ${max === 1 && totalTokens + totalFailures === 0 ? 0 : max}. The numbers per interval are in the table below.`;
  return `<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">${esc(title)}</title>
<desc id="chart-desc">${esc(desc)}</desc>
<line class="axis" x1="${left}" y1="${top + plotH}" x2="${width - 4}" y2="${top + plotH}"/>
<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}"/>
<text x="${left - 6}" y="${top + 4}" text-anchor="end">${max}</text>
<text x="${left - 6}" y="${top + plotH}" text-anchor="end">0</text>
${bars}
</svg>`;
}
