// bench/gateway/signed-identity: the signed-identity route beside the plain one, same gateway
// process, same upstream, same token, same run (goal: within 5%). Rounds alternate plain and
// signed so drift on a shared machine hits both; the median of each is reported with the ratio.
// A row of its own until bench/gateway's rows are split into files (then it becomes one).
//
//   npm run bench:gateway:signed-identity
//   BENCH_SECONDS=5 BENCH_ROUNDS=3 npm run bench:gateway:signed-identity
//
// Needs wrk (Debian: apt-get install -y wrk). Everything listens on 127.0.0.1 and is stopped.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'packages/jwtgate/src/cli.ts');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function waitFor(url: string, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url, { headers })).status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered 200`);
}

function wrk(url: string, token: string): number {
  const out = spawnSync(
    'wrk',
    ['-t1', '-c50', `-d${SECONDS}s`, '-H', `Authorization: Bearer ${token}`, url],
    { encoding: 'utf8' },
  ).stdout;
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers:\n${out}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-bench-si-'));
const children: ChildProcess[] = [];
try {
  const [up, gw] = [await freePort(), await freePort()];
  children.push(
    spawn(process.execPath, [join(ROOT, 'bench/gateway/upstream.ts'), String(up)], { stdio: 'ignore' }),
  );
  const config = join(dir, 'gateway.yaml');
  writeFileSync(
    config,
    `gateway:
  listen: 127.0.0.1:${gw}
  signed_identity: { state_dir: ${join(dir, 'state')}, issuer: https://gateway.bench }
  providers:
    hs: { issuer: https://issuer.bench, secret: "${SECRET}", algorithms: [HS256], audiences: [api] }
  routes:
    - { name: plain, match: { path: /plain }, requires: { provider: hs }, upstream: "http://127.0.0.1:${up}" }
    - name: signed
      match: { path: /signed }
      requires: { provider: hs }
      upstream: "http://127.0.0.1:${up}"
      signed_identity: { lifetime: 300s }
`,
  );
  children.push(
    spawn(process.execPath, ['--conditions=jwtgate-source', CLI, 'gateway', '-c', config], {
      stdio: 'ignore',
      env: { ...process.env, LOG_LEVEL: 'warn' },
    }),
  );
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: 'bench-user', roles: ['reader'], scope: 'read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://issuer.bench')
    .setAudience('api')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(SECRET));
  const auth = { authorization: `Bearer ${token}` };
  await waitFor(`http://127.0.0.1:${gw}/plain`, auth);
  await waitFor(`http://127.0.0.1:${gw}/signed`, auth);
  wrk(`http://127.0.0.1:${gw}/plain`, token); // warm-up, both routes
  wrk(`http://127.0.0.1:${gw}/signed`, token);
  const plain: number[] = [];
  const signed: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(wrk(`http://127.0.0.1:${gw}/plain`, token));
    signed.push(wrk(`http://127.0.0.1:${gw}/signed`, token));
  }
  const p = median(plain);
  const s = median(signed);
  process.stdout.write(
    `\n| route | req/s (median of ${ROUNDS} × ${SECONDS}s, 50 connections) | rounds | vs plain |\n|---|---|---|---|\n` +
      `| plain (HS256, identity headers none) | ${p.toFixed(0)} | ${plain.map((x) => x.toFixed(0)).join(', ')} | 1.00 |\n` +
      `| signed identity (ES256 token, cached per token) | ${s.toFixed(0)} | ${signed.map((x) => x.toFixed(0)).join(', ')} | ${(s / p).toFixed(3)} |\n`,
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
