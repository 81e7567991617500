import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bucketActivity, renderActivityChart } from '../../../src/issuer/console/activity-chart.ts';
import type { AuditEvent } from '../../../src/store/types.ts';

const NOW = Date.parse('2026-11-29T12:34:56Z');
let seq = 0;
const event = (type: string, at: number): AuditEvent => ({
  seq: ++seq,
  at,
  type,
  actor: 'x',
  subject: null,
  detail: {},
});

describe('activity chart', () => {
  test('24 hourly buckets ending with the current hour; tokens and failures counted apart', () => {
    const events = [
      event('token.issued', NOW - 1000),
      event('token.issued', NOW - 2000),
      event('login.failed', NOW - 1000),
      event('auth.failed', NOW - 3600_000),
      event('login.succeeded', NOW - 1000),
      event('token.issued', NOW - 25 * 3600_000),
    ];
    const b = bucketActivity(events, '24h', NOW);
    assert.equal(b.length, 24);
    assert.equal(b[23]?.start, Date.parse('2026-11-29T12:00:00Z'));
    assert.deepEqual({ tokens: b[23]?.tokens, failures: b[23]?.failures }, { tokens: 2, failures: 1 });
    assert.equal(b[22]?.failures, 1);
    assert.equal(
      b.reduce((n, x) => n + x.tokens, 0),
      2,
      'older than 24 h is left out',
    );
  });

  test('12 buckets of 5 minutes for the last hour', () => {
    const b = bucketActivity([event('token.issued', NOW - 6 * 60_000)], '1h', NOW);
    assert.equal(b.length, 12);
    assert.equal(b[10]?.tokens, 1);
  });

  test('the SVG is accessible (role=img, title, desc with the totals) and carries each count', () => {
    const b = bucketActivity([event('token.issued', NOW), event('login.failed', NOW)], '1h', NOW);
    const svg = renderActivityChart(b, 'last hour');
    assert.match(svg, /^<svg class="chart" role="img" aria-labelledby="chart-title chart-desc"/);
    assert.match(svg, /<title id="chart-title">Tokens issued and login failures, last hour<\/title>/);
    assert.match(svg, /<desc id="chart-desc">1 tokens issued and 1 login failures/);
    assert.equal([...svg.matchAll(/data-tokens="(\d+)" data-failures="(\d+)"/g)].length, 12);
    assert.doesNotMatch(svg, /style=|<script/);
  });
});
