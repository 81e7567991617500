// bench/gateway dpop: what checking a DPoP proof costs the gateway. One gateway process, one
// upstream, wrk on one thread; in the same run and alternating, a DPoP-bound token with a fresh
// proof on every request (the proof check: parse, ES256 signature, htm/htu/iat/ath/jkt, replay
// cache) beside an unbound token with the same claims as Bearer (the verified-token cache holds
// both tokens, so what differs is the proof). Reports req/s, latency and the gateway's CPU time
// per request (from /proc), and the difference in microseconds. Not a test: nothing fails on a
// number; it stops if any request is refused (a proof used twice would be).
//
//   npm run bench:gateway-dpop                 (3 rounds of 10 s each way, about 1.5 minutes)
//   BENCH_SECONDS=5 BENCH_ROUNDS=1 npm run bench:gateway-dpop
//
// Needs wrk (Debian: apt-get install -y wrk). Everything listens on 127.0.0.1 and is stopped
// before the script exits.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'packages/jwtgate/src/cli.ts');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 20;
const ISSUER = 'https://issuer.bench/dpop';
const AUDIENCE = 'api://bench';
const scratch = mkdtempSync(join(tmpdir(), 'jwtgate-bench-dpop-'));
const children = new Set<ChildProcess>();

if (spawnSync('wrk', ['--version']).error) {
  process.stderr.write('bench/gateway dpop needs wrk: sudo apt-get install -y wrk\n');
  process.exit(1);
}

process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function jws(header: object, payload: object, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function start(argv: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const check = (d: Buffer) => {
      out += d;
      if (ready.test(out)) resolve(child);
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}:\n${out}`)));
  });
}

/** user + system CPU of a process, in microseconds (Linux /proc, clock ticks of 10 ms). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface Result {
  readonly rps: number;
  readonly p50: string;
  readonly p99: string;
  readonly requests: number;
  readonly cpuPerRequestUs: number;
}

/** One timed wrk run: `options` before the URL (a header, a script), `scriptArgs` after it. */
function runWrk(url: string, gatewayPid: number, options: string[], scriptArgs: string[] = []): Result {
  const cpuBefore = cpuUs(gatewayPid);
  const r = spawnSync(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', ...options, url, ...scriptArgs],
    {
      encoding: 'utf8',
    },
  );
  const used = cpuUs(gatewayPid) - cpuBefore;
  const out = r.stdout;
  // A refused request (a proof used twice, a bad one) stops the bench; a slow machine's timeouts do not.
  if (/Non-2xx/.test(out) || /Socket errors: connect [1-9]|read [1-9]|write [1-9]/.test(out))
    throw new Error(`refused or failed requests:\n${out}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: /50%\s+(\S+)/.exec(out)?.[1] ?? '?',
    p99: /99%\s+(\S+)/.exec(out)?.[1] ?? '?',
    requests,
    cpuPerRequestUs: used / requests,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const issuer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuerJwk = { ...issuer.publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' };
  const clientJwk = client.publicKey.export({ format: 'jwk' });
  const jkt = createHash('sha256')
    .update(JSON.stringify({ crv: clientJwk.crv, kty: clientJwk.kty, x: clientJwk.x, y: clientJwk.y }))
    .digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'bench-user',
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
  };
  const header = { alg: 'ES256', kid: 'bench', typ: 'at+jwt' };
  const bound = jws(header, { ...claims, cnf: { jkt } }, issuer.privateKey);
  const unbound = jws(header, claims, issuer.privateKey);
  writeFileSync(join(scratch, 'jwks.json'), JSON.stringify({ keys: [issuerJwk] }));
  const [gwPort, upPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(scratch, 'gateway.yaml'),
    JSON.stringify({
      gateway: {
        listen: `127.0.0.1:${gwPort}`,
        providers: {
          bench: {
            issuer: ISSUER,
            keys: { jwks_file: join(scratch, 'jwks.json') },
            algorithms: ['ES256'],
            audiences: [AUDIENCE],
            dpop: 'optional',
          },
        },
        routes: [
          {
            name: 'api',
            match: { path: '/api/**' },
            requires: { provider: 'bench' },
            upstream: `http://127.0.0.1:${upPort}`,
          },
        ],
      },
    }),
  );
  await start(['bench/gateway/upstream.ts', String(upPort)], /ready/);
  const gateway = await start(
    ['--conditions=jwtgate-source', CLI, 'gateway', '-c', join(scratch, 'gateway.yaml')],
    /gateway ready/,
  );
  const pid = gateway.pid as number;
  const url = `http://127.0.0.1:${gwPort}/api/orders`;
  const ath = createHash('sha256').update(bound).digest('base64url');
  const proofsFile = join(scratch, 'proofs.tsv');
  const makeProofs = (n: number) => {
    const iat = Math.floor(Date.now() / 1000);
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const proof = jws(
        { alg: 'ES256', typ: 'dpop+jwt', jwk: clientJwk },
        { jti: randomUUID(), htm: 'GET', htu: url, iat, ath },
        client.privateKey,
      );
      lines.push(`${bound}\t${proof}`);
    }
    writeFileSync(proofsFile, `${lines.join('\n')}\n`);
  };
  const lua = join(ROOT, 'bench/gateway/dpop-proofs.lua');
  // Warm up both paths (JIT, the token cache), then alternate.
  runWrkShort(url, unbound);
  makeProofs(20_000);
  spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, '-d2s', '-s', lua, url, '--', proofsFile]);
  const bearer: Result[] = [];
  const dpop: Result[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const b = runWrk(url, pid, ['-H', `Authorization: Bearer ${unbound}`]);
    bearer.push(b);
    // Enough proofs that none is used twice, made before the timed run.
    makeProofs(Math.ceil(b.rps * SECONDS * 1.5) + 1000);
    dpop.push(runWrk(url, pid, ['-s', lua], ['--', proofsFile]));
    process.stderr.write(
      `round ${round + 1}/${ROUNDS}: bearer ${b.rps.toFixed(0)} req/s, dpop ${dpop.at(-1)?.rps.toFixed(0)} req/s\n`,
    );
  }
  const row = (name: string, rs: Result[]) => {
    const best = rs.find((r) => r.rps === median(rs.map((x) => x.rps))) as Result;
    return {
      name,
      rps: median(rs.map((r) => r.rps)),
      cpu: median(rs.map((r) => r.cpuPerRequestUs)),
      p50: best.p50,
      p99: best.p99,
    };
  };
  const rows = [
    row('unbound token as Bearer (token cached)', bearer),
    row('DPoP-bound token, fresh proof per request', dpop),
  ];
  const [base, proof] = rows as [ReturnType<typeof row>, ReturnType<typeof row>];
  process.stdout.write(
    `\n${ROUNDS} rounds of ${SECONDS} s each, ${CONNECTIONS} connections, wrk -t1, median\n\n` +
      '| row | req/s | p50 | p99 | gateway CPU µs/request | vs Bearer |\n|---|---:|---:|---:|---:|---:|\n' +
      rows
        .map(
          (r) =>
            `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.cpu.toFixed(1)} | ${(r.rps / base.rps).toFixed(2)}x |`,
        )
        .join('\n') +
      `\n\nThe proof check costs ${(proof.cpu - base.cpu).toFixed(1)} µs of gateway CPU per request ` +
      `(${(1e6 / proof.rps - 1e6 / base.rps).toFixed(1)} µs per request in wall time at one wrk thread).\n`,
  );
}

function runWrkShort(url: string, token: string): void {
  spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, '-d2s', '-H', `Authorization: Bearer ${token}`, url]);
}

await main();
process.exit(0);
