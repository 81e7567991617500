import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMetrics } from '../../../src/gateway/observe/metrics.ts';

/** The value of one sample line (`name{labels} value`) in the exposition text. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics', () => {
  test('requests are counted by route and status', async () => {
    const m = createMetrics();
    m.request('billing', 200, 'proxy');
    m.request('billing', 200, 'proxy');
    m.request('billing', 404, 'proxy');
    m.request('-', 405, 'proxy');
    const text = await m.registry.metrics();
    assert.match(text, /# TYPE jwtgate_requests_total counter/);
    assert.equal(sample(text, 'jwtgate_requests_total{route="billing",status="200",mode="proxy"}'), 2);
    assert.equal(sample(text, 'jwtgate_requests_total{route="billing",status="404",mode="proxy"}'), 1);
    assert.equal(sample(text, 'jwtgate_requests_total{route="-",status="405",mode="proxy"}'), 1);
  });

  test('decision-endpoint answers and proxied requests are separate series (mode label)', async () => {
    const m = createMetrics();
    m.request('billing', 200, 'decision');
    m.request('billing', 200, 'decision');
    m.request('billing', 200, 'proxy');
    m.request('billing', 401, 'decision');
    m.requestDuration('billing', 0.002, 'decision');
    m.requestDuration('billing', 0.02, 'proxy');
    m.requestDuration('billing', 0.03, 'proxy');
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_requests_total{route="billing",status="200",mode="decision"}'), 2);
    assert.equal(sample(text, 'jwtgate_requests_total{route="billing",status="200",mode="proxy"}'), 1);
    assert.equal(sample(text, 'jwtgate_requests_total{route="billing",status="401",mode="decision"}'), 1);
    assert.equal(
      sample(text, 'jwtgate_requests_total{route="billing",status="401",mode="proxy"}'),
      undefined,
    );
    assert.equal(sample(text, 'jwtgate_request_duration_seconds_count{route="billing",mode="decision"}'), 1);
    assert.equal(sample(text, 'jwtgate_request_duration_seconds_count{route="billing",mode="proxy"}'), 2);
  });

  test('auth decisions are counted by outcome and reason code', async () => {
    const m = createMetrics();
    m.decision('allow', 'OK');
    m.decision('deny', 'ERR_TOKEN_EXPIRED');
    m.decision('deny', 'ERR_TOKEN_EXPIRED');
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_auth_decisions_total{decision="allow",reason="OK"}'), 1);
    assert.equal(sample(text, 'jwtgate_auth_decisions_total{decision="deny",reason="ERR_TOKEN_EXPIRED"}'), 2);
  });

  test('upstream durations land in the histogram by route', async () => {
    const m = createMetrics();
    m.upstream('billing', 0.003);
    m.upstream('billing', 0.2);
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_upstream_duration_seconds_count{route="billing"}'), 2);
    assert.equal(sample(text, 'jwtgate_upstream_duration_seconds_sum{route="billing"}'), 0.203);
    assert.equal(sample(text, 'jwtgate_upstream_duration_seconds_bucket{le="0.005",route="billing"}'), 1);
    assert.equal(sample(text, 'jwtgate_upstream_duration_seconds_bucket{le="0.25",route="billing"}'), 2);
    assert.equal(sample(text, 'jwtgate_upstream_duration_seconds_bucket{le="+Inf",route="billing"}'), 2);
  });

  test('JWKS fetches are counted by provider and result', async () => {
    const m = createMetrics();
    m.jwksFetch('corp', true);
    m.jwksFetch('corp', false);
    m.jwksFetch('corp', false);
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_jwks_fetch_total{provider="corp",result="success"}'), 1);
    assert.equal(sample(text, 'jwtgate_jwks_fetch_total{provider="corp",result="failure"}'), 2);
  });

  test('shared JWKS cache lookups are counted by result', async () => {
    const m = createMetrics();
    m.sharedJwks('hit');
    m.sharedJwks('hit');
    m.sharedJwks('miss');
    m.sharedJwks('error');
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_jwks_shared_cache_total{result="hit"}'), 2);
    assert.equal(sample(text, 'jwtgate_jwks_shared_cache_total{result="miss"}'), 1);
    assert.equal(sample(text, 'jwtgate_jwks_shared_cache_total{result="error"}'), 1);
  });

  test('the token cache counters read their source at scrape time', async () => {
    const m = createMetrics();
    let text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_token_cache_hits_total'), 0, 'zero before a source is set');
    assert.equal(sample(text, 'jwtgate_token_cache_misses_total'), 0);
    let reads = 0;
    const stats = { hits: 5, misses: 2 };
    m.setCacheSource(() => {
      reads++;
      return stats;
    });
    assert.equal(reads, 0, 'not read until scraped');
    text = await m.registry.metrics();
    assert.ok(reads >= 1);
    assert.equal(sample(text, 'jwtgate_token_cache_hits_total'), 5);
    assert.equal(sample(text, 'jwtgate_token_cache_misses_total'), 2);
    stats.hits = 9;
    stats.misses = 3;
    text = await m.registry.metrics();
    assert.equal(
      sample(text, 'jwtgate_token_cache_hits_total'),
      9,
      'the current value, not a sum of scrapes',
    );
    assert.equal(sample(text, 'jwtgate_token_cache_misses_total'), 3);
  });

  test('a new cache source replaces the old one (config reload)', async () => {
    const m = createMetrics();
    m.setCacheSource(() => ({ hits: 100, misses: 100 }));
    m.setCacheSource(() => ({ hits: 1, misses: 0 }));
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_token_cache_hits_total'), 1);
    assert.equal(sample(text, 'jwtgate_token_cache_misses_total'), 0);
  });

  test('process metrics carry the jwtgate_ prefix', async () => {
    const text = await createMetrics().registry.metrics();
    assert.match(text, /^jwtgate_process_cpu_user_seconds_total /m);
    assert.doesNotMatch(text, /^process_cpu_user_seconds_total /m);
  });

  test('each instance has its own registry (a reload can create another)', async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.request('r', 200, 'proxy');
    assert.equal(
      sample(await one.registry.metrics(), 'jwtgate_requests_total{route="r",status="200",mode="proxy"}'),
      1,
    );
    assert.equal(
      sample(await two.registry.metrics(), 'jwtgate_requests_total{route="r",status="200",mode="proxy"}'),
      undefined,
    );
  });

  test('every limit is listed at 0 from the start and counted when reached; connections and upstream load are read at scrape time', async () => {
    const m = createMetrics();
    m.limitReached('body_timeout');
    m.limitReached('body_timeout');
    m.setConnectionSource(async () => ({ open: 3, max: 9936 }));
    m.setUpstreamSource(() => [{ origin: 'http://127.0.0.1:7001', active: 2, waiting: 5 }]);
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_limit_reached_total{limit="body_timeout"}'), 2);
    for (const limit of [
      'max_connections',
      'connections_per_address',
      'first_byte_timeout',
      'headers_timeout',
      'idle_timeout',
      'upstream_busy',
    ])
      assert.equal(sample(text, `jwtgate_limit_reached_total{limit="${limit}"}`), 0, limit);
    assert.equal(sample(text, 'jwtgate_connections'), 3);
    assert.equal(sample(text, 'jwtgate_max_connections'), 9936);
    assert.equal(sample(text, 'jwtgate_upstream_active_requests{origin="http://127.0.0.1:7001"}'), 2);
    assert.equal(sample(text, 'jwtgate_upstream_waiting_requests{origin="http://127.0.0.1:7001"}'), 5);
  });
});

describe('createMetrics: names and the whole-request histogram', () => {
  test('whole-request durations land in jwtgate_request_duration_seconds by route', async () => {
    const m = createMetrics();
    m.requestDuration('billing', 0.004, 'proxy');
    m.requestDuration('billing', 3, 'proxy');
    const text = await m.registry.metrics();
    assert.match(text, /# TYPE jwtgate_request_duration_seconds histogram/);
    assert.equal(sample(text, 'jwtgate_request_duration_seconds_count{route="billing",mode="proxy"}'), 2);
    assert.equal(
      sample(text, 'jwtgate_request_duration_seconds_bucket{le="0.005",route="billing",mode="proxy"}'),
      1,
    );
    assert.equal(
      sample(text, 'jwtgate_request_duration_seconds_bucket{le="5",route="billing",mode="proxy"}'),
      2,
    );
  });

  test('no gauge ends in _total; every counter does (Prometheus naming)', async () => {
    const text = await createMetrics().registry.metrics();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(
      (m) => [m[1] as string, m[2] as string] as const,
    );
    assert.ok(types.length > 20);
    for (const [name, type] of types) {
      if (type === 'gauge') assert.ok(!name.endsWith('_total'), `gauge ${name}`);
      if (type === 'counter') assert.ok(name.endsWith('_total'), `counter ${name}`);
    }
  });

  test('reset() zeroes the plain counters and histograms', async () => {
    const m = createMetrics();
    m.request('billing', 200, 'proxy');
    m.upstream('billing', 0.01);
    m.registry.resetMetrics();
    const text = await m.registry.metrics();
    assert.equal(sample(text, 'jwtgate_requests_total{route="billing",status="200",mode="proxy"}'), 0);
    assert.equal(sample(text, 'jwtgate_upstream_duration_seconds_count{route="billing"}'), 0);
  });
});
