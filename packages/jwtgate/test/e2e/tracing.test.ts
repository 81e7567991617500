// End to end: OpenTelemetry traces of a jwtgate issuer process and a jwtgate gateway process,
// exported by the real OTLP/HTTP exporter to a receiver of the test's own (node:http, decoding
// the exporter's JSON). One trace: a client_credentials token from the issuer, then a request
// through the gateway (twice: the second from the verified-token cache); the span tree is
// checked across the processes, and nothing secret (token, client secret, claim values) is in it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { AUDIENCE, tempDir as issuerTempDir, runCli, startIssuerProcess } from '../issuer/helpers.ts';
import {
  freePort,
  type GatewayProcess,
  send,
  sleep,
  spawnGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const SERVER = 2;
const CLIENT = 3;

/** OTLP/JSON ids are hex; a protobuf-style base64 id is turned into hex as well. */
const hex = (id: unknown) =>
  typeof id !== 'string' || id === ''
    ? ''
    : /^[0-9a-f]+$/i.test(id)
      ? id.toLowerCase()
      : Buffer.from(id, 'base64').toString('hex');

function value(v: Record<string, unknown>): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  return v;
}

function attributes(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of (list ?? []) as { key: string; value: Record<string, unknown> }[])
    out[a.key] = value(a.value);
  return out;
}

/** An OTLP/HTTP traces receiver: every export body as received, and its spans decoded. */
async function startReceiver() {
  const bodies: string[] = [];
  const spans: Span[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    if (
      req.method !== 'POST' ||
      req.url !== '/v1/traces' ||
      !/json/.test(String(req.headers['content-type']))
    ) {
      res.writeHead(415).end();
      return;
    }
    const text = raw.toString('utf8');
    bodies.push(text);
    const body = JSON.parse(text) as { resourceSpans: Record<string, unknown>[] };
    for (const rs of body.resourceSpans ?? []) {
      const service = String(
        attributes((rs.resource as { attributes?: unknown })?.attributes)['service.name'],
      );
      for (const ss of (rs.scopeSpans ?? []) as { spans: Record<string, unknown>[] }[])
        for (const s of ss.spans ?? [])
          spans.push({
            service,
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId),
            name: String(s.name),
            kind: Number(s.kind),
            attributes: attributes(s.attributes),
          });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    bodies,
    spans,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('OpenTelemetry traces through the issuer and the gateway', { timeout: 180_000 }, () => {
  const tmp = tempDir();
  const store = join(issuerTempDir().dir, 'issuer.db');
  const traceId = randomBytes(16).toString('hex');
  const tokenParent = randomBytes(8).toString('hex');
  const requestParent = randomBytes(8).toString('hex');
  const decisionParent = randomBytes(8).toString('hex');
  const CLIENT_ID = 'svc-7f3a9c';
  const CLAIM = 'tenant-value-41d2e8';
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let upstream: Upstream;
  let issuer: ReturnType<typeof startIssuerProcess>;
  let gw: GatewayProcess;
  let secret = '';
  let token = '';
  let seenTraceparent = '';

  before(async () => {
    receiver = await startReceiver();
    upstream = await startUpstream('app');
    const added = await runCli([
      'clients',
      'add',
      CLIENT_ID,
      '--audience',
      AUDIENCE,
      '--role',
      'billing',
      '--claim',
      `tenant=${CLAIM}`,
      `--store=${store}`,
    ]);
    assert.equal(added.code, 0, added.stderr);
    secret = /client_secret: (\S+)/.exec(added.stdout)?.[1] as string;
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    };
    const issuerPort = await freePort();
    const issuerUrl = `http://127.0.0.1:${issuerPort}`;
    issuer = startIssuerProcess(['--port', String(issuerPort), '--store', store], otel);
    await issuer.ready;

    const res = await fetch(`${issuerUrl}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}`,
        traceparent: `00-${traceId}-${tokenParent}-01`,
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 200);
    token = ((await res.json()) as { access_token: string }).access_token;

    const decisionsPort = await freePort();
    const config = tmp.write(
      'jwtgate.yaml',
      `gateway:
  listen: 127.0.0.1:${await freePort()}
  decisions: { listen: 127.0.0.1:${decisionsPort}, trusted_proxies: [127.0.0.1/32] }
  providers:
    issuer:
      issuer: ${issuerUrl}
      jwks_uri: ${issuerUrl}/.well-known/jwks.json
      algorithms: [ES256]
      audiences: [${AUDIENCE}]
  routes:
    - name: api
      match: { path: /api/** }
      requires: { provider: issuer }
      upstream: ${upstream.origin}
      identity_headers: { X-Jwtgate-Sub: sub, X-Jwtgate-Tenant: tenant }
`,
    );
    // Started with a generous deadline: CI runs this beside other process-heavy tests.
    gw = spawnGateway(config, { env: otel });
    await gw.waitFor(/"msg":"gateway ready"/, 60_000);
    const port = /"listen":"127\.0\.0\.1:(\d+)"/.exec(gw.output())?.[1];
    for (let i = 0; i < 2; i++) {
      const r = await send(`http://127.0.0.1:${port}/api/orders?access=x`, {
        headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${requestParent}-01` },
      });
      assert.equal(r.status, 200, r.body);
    }
    seenTraceparent = String(upstream.seen.at(0)?.headers.traceparent);
    // A decision, as nginx would ask for it.
    const d = await send(`http://127.0.0.1:${decisionsPort}/nginx`, {
      headers: {
        authorization: `Bearer ${token}`,
        'x-original-uri': '/api/orders?access=x',
        'x-original-method': 'GET',
        traceparent: `00-${traceId}-${decisionParent}-01`,
      },
    });
    assert.equal(d.status, 200, d.body);
    // SIGTERM: each process exports what it has left before exiting.
    await gw.stop();
    await issuer.stop();
    const deadline = Date.now() + 20_000;
    while (receiver.spans.filter((s) => s.name === 'jwtgate.verify').length < 2 && Date.now() < deadline)
      await sleep(50);
  });

  after(async () => {
    await gw?.stop();
    await issuer?.stop();
    await upstream?.close();
    await receiver?.close();
    tmp.cleanup();
  });

  const one = (test: (s: Span) => boolean, what: string) => {
    const found = receiver.spans.filter(test);
    assert.ok(
      found.length >= 1,
      `${what}: ${JSON.stringify(receiver.spans.map((s) => [s.service, s.name]))}`,
    );
    return found[0] as Span;
  };

  it('the issuer: a server span continuing the caller’s traceparent, with token issuance inside', () => {
    const server = one(
      (s) => s.service === 'jwtgate-issuer' && s.parentSpanId === tokenParent,
      'issuer server span',
    );
    assert.equal(server.traceId, traceId);
    assert.equal(server.kind, SERVER);
    assert.equal(server.name, 'POST /token');
    assert.equal(server.attributes['http.response.status_code'], 200);
    const issue = one((s) => s.parentSpanId === server.spanId, 'token issuance span');
    assert.equal(issue.name, 'jwtgate.issuer.token');
  });

  it('the gateway: a server span per request (route, decision, reason, status), verify and upstream inside', () => {
    const servers = receiver.spans.filter(
      (s) => s.service === 'jwtgate-gateway' && s.parentSpanId === requestParent,
    );
    assert.equal(servers.length, 2, 'one server span per request');
    for (const server of servers) {
      assert.equal(server.traceId, traceId);
      assert.equal(server.kind, SERVER);
      assert.equal(server.name, 'GET api');
      assert.deepEqual(
        [
          server.attributes['jwtgate.route'],
          server.attributes['jwtgate.decision'],
          server.attributes['jwtgate.reason'],
          server.attributes['http.response.status_code'],
          server.attributes['url.path'],
        ],
        ['api', 'allow', 'OK', 200, '/api/orders'],
      );
      const children = receiver.spans.filter((s) => s.parentSpanId === server.spanId);
      assert.deepEqual(children.map((c) => c.name).sort(), ['GET', 'jwtgate.verify']);
      const verify = children.find((c) => c.name === 'jwtgate.verify') as Span;
      assert.equal(verify.attributes['jwtgate.token.alg'], 'ES256');
      assert.equal(verify.attributes['jwtgate.provider'], 'issuer');
      const up = children.find((c) => c.name === 'GET') as Span;
      assert.equal(up.kind, CLIENT);
      assert.equal(up.attributes['http.response.status_code'], 200);
    }
    const cached = servers.map(
      (server) =>
        receiver.spans.find((s) => s.parentSpanId === server.spanId && s.name === 'jwtgate.verify')
          ?.attributes['jwtgate.token.cached'],
    );
    assert.deepEqual(cached.sort(), [false, true], 'the second verification came from the cache');
  });

  it('a decision: a jwtgate.decision server span for the request the proxy described, verify inside', () => {
    const span = one(
      (s) => s.service === 'jwtgate-gateway' && s.parentSpanId === decisionParent,
      'decision span',
    );
    assert.equal(span.kind, SERVER);
    assert.equal(span.name, 'jwtgate.decision GET api');
    assert.deepEqual(
      [span.attributes['jwtgate.decision'], span.attributes['jwtgate.reason'], span.attributes['url.path']],
      ['allow', 'OK', '/api/orders'],
    );
    const verify = one((s) => s.parentSpanId === span.spanId, 'decision verify span');
    assert.equal(verify.name, 'jwtgate.verify');
    assert.equal(verify.attributes['jwtgate.token.cached'], true);
  });

  it('the upstream receives the trace context of the gateway’s upstream span', () => {
    const ups = receiver.spans.filter(
      (s) => s.service === 'jwtgate-gateway' && s.kind === CLIENT && s.name === 'GET',
    );
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(seenTraceparent);
    assert.ok(m, seenTraceparent);
    assert.equal(m[1], traceId);
    assert.ok(
      ups.some((u) => u.spanId === m[2]),
      'the traceparent names the upstream span',
    );
  });

  it('the JWKS fetch is a client span, continued by the issuer’s server span', () => {
    const fetches = receiver.spans.filter(
      (s) => s.service === 'jwtgate-gateway' && s.name === 'jwtgate.jwks.fetch',
    );
    assert.ok(fetches.length >= 1);
    const f = fetches[0] as Span;
    assert.equal(f.kind, CLIENT);
    assert.match(String(f.attributes['url.full']), /\/\.well-known\/jwks\.json$/);
    const served = one(
      (s) => s.service === 'jwtgate-issuer' && s.parentSpanId === f.spanId,
      'issuer JWKS span',
    );
    assert.equal(served.name, 'GET /.well-known/jwks.json');
    assert.equal(served.traceId, f.traceId);
  });

  it('nothing secret in any export: no token, client secret, signature or claim value', () => {
    const all = receiver.bodies.join('\n');
    assert.ok(all.length > 0);
    const [, , signature] = token.split('.');
    for (const [what, text] of [
      ['token', token],
      ['token signature', signature as string],
      ['client secret', secret],
      ['claim value', CLAIM],
      ['sub (not configured)', CLIENT_ID],
      ['query', 'access=x'],
    ] as const)
      assert.ok(!all.includes(text), `${what} found in the exported spans`);
  });
});
