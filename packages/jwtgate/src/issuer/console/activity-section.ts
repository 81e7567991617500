import {
  ACTIVITY_RANGES,
  type ActivityRange,
  bucketActivity,
  bucketLabel,
  renderActivityChart,
} from './activity-chart.ts';
import { type ConsoleSection, methodNotAllowed, NOT_FOUND, page } from './console-context.ts';
import { esc, renderTable } from './console-page.ts';
import { relativeToNow } from './describe-time.ts';

/** The events of the activity table. */
export const ACTIVITY_TYPES = [
  'token.issued',
  'token.revoked',
  'login.succeeded',
  'login.failed',
  'login.locked',
  'auth.failed',
  'auth.locked',
  'client.created',
  'client.updated',
  'client.secret_rotated',
  'client.removed',
  'user.created',
  'user.disabled',
  'user.enabled',
  'user.roles_changed',
  'user.password_reset',
  'user.removed',
  'key.created',
  'key.rotated',
  'key.activated',
  'key.retired',
];
const CHART_TYPES = ['token.issued', 'login.failed', 'auth.failed'];
const TABLE_ROWS = 50;
/** Events read for the chart; a busier issuer shows "at least". */
const CHART_LIMIT = 20_000;

/** /console (and /console/activity): the chart of tokens and login failures, and the recent audit events. */
export const activitySection: ConsoleSection = async (r, parts) => {
  if (parts.length > 0) return NOT_FOUND;
  if (r.method !== 'GET') return methodNotAllowed('GET');
  const { store, now } = r.deps;
  const range: ActivityRange = r.url.searchParams.get('range') === '1h' ? '1h' : '24h';
  const at = now();
  const [chartEvents, recent] = await Promise.all([
    store.audit.recent(CHART_LIMIT, CHART_TYPES),
    store.audit.recent(TABLE_ROWS, ACTIVITY_TYPES),
  ]);
  const { label } = ACTIVITY_RANGES[range];
  const buckets = bucketActivity(chartEvents, range, at);
  const truncated = chartEvents.length >= CHART_LIMIT;
  const links = (Object.keys(ACTIVITY_RANGES) as ActivityRange[])
    .map((k) =>
      k === range
        ? `<a href="/console?range=${k}" aria-current="true"><strong>${esc(ACTIVITY_RANGES[k].label)}</strong></a>`
        : `<a href="/console?range=${k}">${esc(ACTIVITY_RANGES[k].label)}</a>`,
    )
    .join(' · ');
  const numbers = renderTable(
    `Tokens issued and login failures per interval, ${label}`,
    ['Interval (UTC)', 'Tokens issued', 'Login failures'],
    buckets.map((b) => [bucketLabel(b.start), String(b.tokens), String(b.failures)]),
  );
  const events = renderTable(
    'Recent audit events, newest first',
    ['When', 'Event', 'Actor', 'Subject', 'Detail'],
    recent.map((e) => [
      `<time datetime="${new Date(e.at).toISOString()}" title="${new Date(e.at).toISOString()}">${esc(relativeToNow(e.at, at))}</time>`,
      `<code>${esc(e.type)}</code>`,
      esc(e.actor ?? ''),
      esc(e.subject ?? ''),
      `<code>${esc(JSON.stringify(e.detail))}</code>`,
    ]),
  );
  return page({
    title: 'Activity',
    section: 'activity',
    body: `<h2>Tokens issued and login failures</h2>
<p>Range: ${links}${truncated ? ` (the chart counts the newest ${CHART_LIMIT} events only)` : ''}</p>
<p class="legend" aria-hidden="true"><span class="tokens"></span>tokens issued<span class="failures"></span>login failures (users and clients)</p>
<figure>
${renderActivityChart(buckets, label)}
<figcaption class="sr-only">The same numbers are in the table below.</figcaption>
</figure>
<details><summary>Numbers per interval</summary>
${numbers}
</details>
<h2>Recent events</h2>
${events}`,
  });
};
