// Tracing is off unless the standard OTEL_* variables ask for it, and off means jwtgate loads no
// @opentelemetry module: a gateway process serving requests is checked with a module resolution
// hook recording every one it loads, and by whom. (prom-client loads @opentelemetry/api itself,
// for exemplars, whatever jwtgate does: that one is recorded, and allowed only from prom-client.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { tracingRequested } from '../../../src/lib/tracing/tracing.ts';

describe('tracingRequested', () => {
  const cases: [NodeJS.ProcessEnv, boolean][] = [
    [{}, false],
    [{ OTEL_SERVICE_NAME: 'x' }, false],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }, true],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, false],
    [{ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' }, true],
  ];
  for (const [env, expected] of cases)
    test(`${JSON.stringify(env)} -> ${expected}`, () => assert.equal(tracingRequested(env), expected));
});

const PROBE = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (r.url.includes('@opentelemetry') && !(context.parentURL ?? '').includes('@opentelemetry'))
      loaded.push({ url: r.url, by: context.parentURL });
    return r;
  },
});
const { startTracing } = await import(${JSON.stringify(new URL('../../../src/lib/tracing/tracing.ts', import.meta.url).href)});
const { createGateway } = await import(${JSON.stringify(new URL('../../../src/gateway/create-gateway.ts', import.meta.url).href)});
const { writeFileSync, mkdtempSync } = await import('node:fs');
const dir = mkdtempSync('/tmp/jwtgate-tracing-off-');
const file = dir + '/jwtgate.yaml';
writeFileSync(file, 'gateway:\\n  listen: 127.0.0.1:0\\n  providers:\\n    a: { issuer: https://a.test, secret: "${'x'.repeat(40)}", algorithms: [HS256], audiences: [api] }\\n  routes:\\n    - { name: api, match: { path: /api/** }, requires: { provider: a }, upstream: "http://127.0.0.1:9" }\\n');
await startTracing('probe');
const pino = (await import('pino')).default;
const g = createGateway({ configFile: file, logger: pino({ level: 'silent' }), port: 0 });
const { port } = await g.start();
const res = await fetch('http://127.0.0.1:' + port + '/api/x', { headers: { authorization: 'Bearer a.b.c' } });
await res.text();
await g.close(10);
process.stdout.write(JSON.stringify({ status: res.status, loaded }));
`;

function probe(env: NodeJS.ProcessEnv): Promise<{ status: number; loaded: { url: string; by: string }[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=jwtgate-source', '--input-type=module', '-e', PROBE],
      { env },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout));
      },
    );
  });
}

describe('tracing off', () => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));

  test('a gateway serving a request loads no @opentelemetry module', async () => {
    const r = await probe(clean);
    assert.equal(r.status, 401);
    const ours = r.loaded.filter(
      (m) => !(m.by.includes('/prom-client/') && /@opentelemetry\/api\//.test(m.url)),
    );
    assert.deepEqual(ours, []);
  });

  test('with OTEL_TRACES_EXPORTER=console the same process loads the SDK (the probe can tell)', async () => {
    const r = await probe({ ...clean, OTEL_TRACES_EXPORTER: 'console' });
    assert.equal(r.status, 401);
    assert.ok(
      r.loaded.some((m) => m.url.includes('@opentelemetry/sdk-trace-node') && m.by.includes('open-tracing')),
    );
  });
});
