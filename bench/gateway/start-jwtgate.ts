// bench/gateway: a jwtgate gateway (the CLI, `jwtgate gateway -c`) for the jwtgate rows.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Endpoint, expectStatus, get, waitReady } from '../lib/http-check.ts';
import type { LoadTarget } from '../lib/load.ts';
import { CLI, freePort, type Started, scratch, sleep, startNode, stop } from '../lib/processes.ts';
import { AUDIENCE, type Fixtures, ISSUER_ES, ISSUER_HS, SECRET, tamper } from './fixtures.ts';
import { HTTP2_STREAMS, type RowContext, type RunningRow } from './setup.ts';
import { benchCertificate } from './tls-certificate.ts';

function gatewayConfig(
  f: Fixtures,
  port: number,
  adminPort: number,
  upstream: number,
  c: JwtgateCase,
): string {
  const file = join(scratch(), `gateway-${port}.yaml`);
  const tls = c.tls ? benchCertificate() : null;
  writeFileSync(
    file,
    `gateway:
  listen: 127.0.0.1:${port}
  admin: { listen: 127.0.0.1:${adminPort} }
${c.cache === false ? '  token_cache: { max_entries: 0 }\n' : ''}${
  tls ? `  tls: { certificates: [{ cert: ${tls.cert}, key: ${tls.key} }] }\n` : ''
}${
  c.path === '/hs-signed/items'
    ? `  signed_identity: { state_dir: ${join(scratch(), `identity-${port}`)}, issuer: https://gateway.bench }\n`
    : ''
}  providers:
    es:
      issuer: ${ISSUER_ES}
      keys: { jwks_file: ${f.jwksFile} }
      algorithms: [ES256]
      audiences: [${AUDIENCE}]
      token_types: [at+jwt]
    hs:
      issuer: ${ISSUER_HS}
      secret: ${SECRET}
      algorithms: [HS256]
      audiences: [${AUDIENCE}]
      token_types: [at+jwt]
  routes:
    - name: es
      match: { path: /es/** }
      requires: { provider: es, scopes_any: [read] }
      upstream: http://127.0.0.1:${upstream}
      identity_headers: { X-User-Id: sub }
    - name: hs
      match: { path: /hs/** }
      requires: { provider: hs, scopes_any: [read] }
      upstream: http://127.0.0.1:${upstream}
      identity_headers: { X-User-Id: sub }
${
  c.path === '/hs-signed/items'
    ? `    - name: hs-signed
      match: { path: /hs-signed/** }
      requires: { provider: hs, scopes_any: [read] }
      upstream: http://127.0.0.1:${upstream}
      identity_headers: { X-User-Id: sub }
      signed_identity: { lifetime: 300s }
`
    : ''
}`,
  );
  return file;
}

/** Reads the verified-token cache counters from the admin listener's /metrics. */
async function cacheCounters(adminPort: number): Promise<Record<string, number>> {
  const { body } = await get(adminPort, '/metrics');
  const read = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, 'm').exec(body)?.[1] ?? 0);
  return { hits: read('jwtgate_token_cache_hits_total'), misses: read('jwtgate_token_cache_misses_total') };
}

export interface JwtgateCase {
  /** `/hs-signed/items`: the HS256 route that also sends the upstream a signed identity token. */
  readonly path: '/hs/items' | '/es/items' | '/hs-signed/items';
  readonly token: (f: Fixtures) => string;
  /** A different token on every request (fresh-tokens.lua over the fixtures' token files). */
  readonly fresh?: boolean;
  readonly cache?: boolean;
  readonly nodeFlags?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Another checkout's CLI (a baseline to compare a change against, in the same rounds). */
  readonly cli?: string;
  /** Terminate TLS with the bench certificate (HTTP/1.1 and HTTP/2 on one port); HTTP/2 load with `http2`. */
  readonly tls?: boolean;
  readonly http2?: boolean;
}

/** Starts `jwtgate gateway` with two providers and routes, checks it verifies, says what to send. */
export async function startJwtgate(ctx: RowContext, c: JwtgateCase): Promise<RunningRow> {
  const { setup, fixtures: f } = ctx;
  const port = await freePort();
  const adminPort = await freePort();
  const config = gatewayConfig(f, port, adminPort, ctx.upstreamPort, c);
  const endpoint: Endpoint = c.tls ? { port, ca: benchCertificate().ca, http2: c.http2 === true } : port;
  // The gateway's access lines stay on (one line per request) and go to /dev/null.
  const proc: Started = startNode(
    setup.taskset,
    setup.proxyCpu,
    [
      ...(c.nodeFlags ?? []),
      ...(ctx.nodeFlags ?? []),
      c.cli ?? CLI,
      'gateway',
      '-c',
      config,
      ...(setup.workers > 1 ? ['--workers', String(setup.workers)] : []),
    ],
    { stdout: 'null', ...(c.env ? { env: { ...process.env, ...c.env } } : {}) },
  );
  try {
    await waitReady(endpoint, '/', proc, 'jwtgate gateway');
    const deadline = Date.now() + Number(process.env.BENCH_START_TIMEOUT_MS ?? 90_000);
    // Every worker must be listening before load starts.
    while ((await get(adminPort, '/readyz').catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > deadline) throw new Error(`gateway not ready:\n${proc.output()}`);
      await sleep(100);
    }
    const token = c.token(f);
    // Verifying on this very port: no token 401, a forged signature 401, the token 200.
    await expectStatus(endpoint, c.path, {}, 401, `jwtgate ${c.path}, no token`);
    await expectStatus(
      endpoint,
      c.path,
      { authorization: `Bearer ${tamper(token)}` },
      401,
      `jwtgate ${c.path}, forged`,
    );
    await expectStatus(
      endpoint,
      c.path,
      { authorization: `Bearer ${token}` },
      200,
      `jwtgate ${c.path}`,
      '"bench-upstream"',
    );
  } catch (err) {
    await stop(proc);
    throw err;
  }
  const url = `${c.tls ? 'https' : 'http'}://127.0.0.1:${port}${c.path}`;
  const lua = (file: string, start: number) => ({
    script: join(import.meta.dirname, 'fresh-tokens.lua'),
    args: [file, String(start)],
  });
  // Where the next measured run starts in the token file: after every token already sent (the
  // gateway's cache lookups count them; 64 more for requests in flight when wrk stopped).
  let next = 0;
  let warmupNext = 0;
  const reused: LoadTarget = {
    url,
    headers: { Authorization: `Bearer ${c.token(f)}` },
    ...(c.http2 ? { http2: { streams: HTTP2_STREAMS } } : {}),
  };
  return {
    procs: [proc],
    get target(): LoadTarget {
      return c.fresh ? { url, lua: lua(f.freshFile, next) } : reused;
    },
    get warmup(): LoadTarget {
      warmupNext += 20_000;
      return c.fresh ? { url, lua: lua(f.warmupFile, warmupNext) } : reused;
    },
    counters: () => cacheCounters(adminPort),
    note(d) {
      next += (d.hits ?? 0) + (d.misses ?? 0) + 64;
      if (c.cache === false) return 'token cache off';
      const total = (d.hits ?? 0) + (d.misses ?? 0);
      return total > 0 ? `cache misses ${((100 * (d.misses ?? 0)) / total).toFixed(1)}%` : 'no cache lookups';
    },
    stop: () => stop(proc, 15_000),
  };
}
