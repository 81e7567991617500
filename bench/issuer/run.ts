// bench/issuer: client-credentials tokens issued per second by `jwtgate issuer` over HTTP on
// 127.0.0.1 (one request at a time, and with concurrency), for ES256, EdDSA and RS256, beside the
// cost of signing alone: jose SignJWT with the very same key and claims, in this process and run.
// The issuer runs as its own process (as deployed), with rate limits and lock-out off and logs at
// warn; every token is still audited in its SQLite store. Prints a markdown table with ratios.
// Not a test: nothing here fails on a number.
//
//   npm run bench:issuer          (BENCH_SECONDS=3 for steadier figures, BENCH_CONCURRENCY=16)

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT } from 'jose';
import { addClient } from '../../packages/jwtgate/src/issuer/admin/manage-clients.ts';
import { openSqliteStore } from '../../packages/jwtgate/src/store/sqlite-store.ts';
import { freePort } from '../lib/ports.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CLI = new URL('../../packages/jwtgate/src/cli.ts', import.meta.url).pathname;
const AUDIENCE = 'https://billing.bench';
const ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;

interface Row {
  alg: string;
  sign: number;
  sequential: number;
  concurrent: number;
  p50: number;
}

/** Runs `fn` in a loop for `seconds` (after a short warm-up), `parallel` loops at once; returns ops/s. */
async function rate(fn: () => Promise<unknown>, seconds: number, parallel = 1): Promise<number> {
  const run = async (ms: number) => {
    let n = 0;
    const start = performance.now();
    const end = start + ms;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (performance.now() < end) {
          await fn();
          n++;
        }
      }),
    );
    return (n * 1000) / (performance.now() - start);
  };
  await run(300);
  return run(seconds * 1000);
}

function startIssuer(alg: string, port: number, store: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=jwtgate-source',
      CLI,
      'issuer',
      `--port=${port}`,
      `--store=${store}`,
      `--alg=${alg}`,
      '--rate-limit-client=0',
      '--rate-limit-address=0',
      '--lockout-failures=0',
    ],
    { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.once('exit', (code) => reject(new Error(`issuer exited with ${code}: ${err}`)));
    const poll = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) return resolve(child);
      } catch {
        // not yet
      }
      setTimeout(poll, 50);
    };
    void poll();
  });
}

async function benchAlgorithm(alg: (typeof ALGORITHMS)[number]): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'jwtgate-bench-issuer-'));
  const file = join(dir, 'issuer.db');
  const store = openSqliteStore(file);
  await store.migrate();
  const { secret } = await addClient(
    store,
    {
      id: 'bench',
      audiences: [AUDIENCE],
      scopes: ['read', 'write'],
      roles: ['billing'],
      claims: { tenant: 'acme' },
    },
    'bench',
  );
  await store.close();
  const port = await freePort();
  const issuer = await startIssuer(alg, port, file);
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const body = 'grant_type=client_credentials';
    const auth = `Basic ${Buffer.from(`bench:${secret}`).toString('base64')}`;
    const latencies: number[] = [];
    const issue = () =>
      new Promise<string>((resolve, reject) => {
        const started = performance.now();
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/token',
            method: 'POST',
            agent,
            headers: {
              authorization: auth,
              'content-type': 'application/x-www-form-urlencoded',
              'content-length': body.length,
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () => {
              if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text}`));
              if (latencies.length < 100_000) latencies.push(performance.now() - started);
              resolve(text);
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    // The issuer's own key and a token it issued: the baseline signs the same claims with the same key.
    const sample = JSON.parse(await issue()).access_token as string;
    const header = JSON.parse(Buffer.from(sample.split('.')[0] as string, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(sample.split('.')[1] as string, 'base64url').toString());
    if (header.alg !== alg || header.typ !== 'at+jwt')
      throw new Error(`unexpected token header ${JSON.stringify(header)}`);
    const db = openSqliteStore(file);
    const key = (await db.keys.list()).find((k) => k.kid === header.kid);
    await db.close();
    const privateKey = await importJWK(JSON.parse(key?.privateJwk as string), alg);
    let n = 0;
    const sign = await rate(
      () =>
        new SignJWT({ ...claims, jti: `${claims.jti}${n++}` }).setProtectedHeader(header).sign(privateKey),
      SECONDS,
    );

    latencies.length = 0;
    const sequential = await rate(issue, SECONDS);
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)] ?? 0;
    const concurrent = await rate(issue, SECONDS, CONCURRENCY);
    agent.destroy();
    return { alg, sign, sequential, concurrent, p50 };
  } finally {
    issuer.kill('SIGTERM');
    await new Promise((r) => issuer.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => `${(a / b).toFixed(3)}x`;

const rows: Row[] = [];
for (const alg of ALGORITHMS) rows.push(await benchAlgorithm(alg));

console.log(
  `\njwtgate issuer, client credentials over HTTP/1.1 keep-alive on 127.0.0.1 (Node ${process.version}, ${cpus().length} CPUs, ${cpus()[0]?.model ?? 'unknown CPU'}, ${SECONDS} s per cell)\n`,
);
console.log(
  `| alg | jose SignJWT alone (signs/s) | issuer, sequential (tokens/s) | p50 latency | issuer / signing | issuer, ${CONCURRENCY} concurrent (tokens/s) | issuer / signing |`,
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.alg} | ${fmt(r.sign)} | ${fmt(r.sequential)} | ${r.p50.toFixed(2)} ms | ${ratio(r.sequential, r.sign)} | ${fmt(r.concurrent)} | ${ratio(r.concurrent, r.sign)} |`,
  );
}
console.log(
  '\nSigning alone is one jose SignJWT of the same header and claims with the issuer key, in this process (one core).',
);
console.log(
  'The issuer does that plus HTTP, client authentication (hash compare), oidc-provider, the SQLite client lookup and the audit write.',
);
