// Instructions per call of the uncached verifier and of its bare operation, counted by callgrind:
// repeatable on a shared machine, where a timing is not. Each cell runs in its own process under
// valgrind; instrumentation is switched on only around the measured loop (after warm-up), and an
// empty loop's count is taken off.
//
//   node --conditions=jwtgate-source bench/verify/instructions.ts [CELL ...] [--alg=HS256] [--n=5000]
//   node ... instructions.ts --run CELL --alg=HS256 --n=5000     (one cell, inside valgrind)
//
// Not a test; needs valgrind (callgrind_control) on PATH.

import { execFileSync } from 'node:child_process';
import {
  createHmac,
  createPublicKey,
  createSecretKey,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';
import { AUDIENCE, ISSUER, type SplitToken, signTokens, splitTokens } from './tokens.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ALG = flag('alg', 'HS256');
const N = Number(flag('n', '5000'));
const WARM = Number(flag('warm', '20000'));
const SRC = resolve(flag('src', resolve(import.meta.dirname, '../../packages/verify/src')));
const POOL = 2000;
const SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';

type Cell = () => unknown;

async function cells(): Promise<Record<string, Cell>> {
  let signKey: CryptoKey | Uint8Array;
  let keyObject: KeyObject;
  let providerKeys: Record<string, unknown>;
  if (ALG === 'HS256') {
    signKey = new TextEncoder().encode(SECRET);
    keyObject = createSecretKey(Buffer.from(SECRET));
    providerKeys = { secret: SECRET };
  } else {
    const pair = await generateKeyPair(ALG, { extractable: true });
    signKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'bench', alg: ALG };
    keyObject = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    providerKeys = { keys: { jwks: { keys: [jwk] } } };
  }
  const tokens = await signTokens(ALG, signKey, POOL);
  let next = 0;
  const fresh = () => tokens[next++ % POOL] as string;
  const split = splitTokens(tokens);
  const piece = () => split[next++ % POOL] as SplitToken;
  const { createVerifier } = await import(pathToFileURL(`${SRC}/index.ts`).href);
  const provider = {
    issuer: ISSUER,
    audiences: [AUDIENCE],
    algorithms: [ALG],
    tokenTypes: ['at+jwt'],
    ...providerKeys,
  };
  const plain = createVerifier({ providers: { bench: provider } });
  const cached = createVerifier({ providers: { bench: provider }, cache: {} });
  const hash = ALG === 'EdDSA' ? null : 'sha256';
  const keyOptions = ALG === 'ES256' ? { key: keyObject, dsaEncoding: 'ieee-p1363' as const } : keyObject;
  const payloads = tokens.map((t) => t.split('.')[1] as string);
  const texts = payloads.map((p) => Buffer.from(p, 'base64url').toString('utf8'));
  const at = (file: string) => import(pathToFileURL(`${SRC}/${file}`).href);
  const [pt, b64, utf8, json, sig, claims, prov, secret] = await Promise.all(
    [
      'parse-token.ts',
      'lib/base64url.ts',
      'lib/utf8.ts',
      'lib/strict-json.ts',
      'verify-signature.ts',
      'check-claims.ts',
      'provider.ts',
      'keys/secret.ts',
    ].map(at),
  );
  const headers = new pt.HeaderCache();
  const parsed = tokens.map((t) => pt.parseToken(t, 8192, headers));
  const compiled = prov.compileProvider('bench', provider, 'bench', { env: {}, now: Date.now, fetch });
  const trusted =
    ALG === 'HS256' ? secret.loadSecret(SECRET, ['HS256'], {}) : (await compiled.source.load()).keys[0];
  const signatures = tokens.map((t) => t.slice(t.lastIndexOf('.') + 1));
  const nowS = Math.floor(Date.now() / 1000);
  return {
    empty: () => next++,
    parseToken: () => pt.parseToken(fresh(), 8192, headers),
    payload: () => utf8.decodeUtf8(b64.decodeBase64url(payloads[next++ % POOL] as string)),
    strictJSON: () => json.parseJsonObject(texts[next++ % POOL] as string),
    sigCanonical: () => b64.isCanonicalBase64url(signatures[next++ % POOL] as string),
    signature: () => {
      const p = parsed[next++ % POOL];
      return sig.verifySignature(ALG, trusted, p.signingInput, p.signature);
    },
    claims: () => {
      const p = parsed[next++ % POOL];
      return claims.checkClaims(compiled.policy, p.header, p.claims, nowS);
    },
    bare:
      ALG === 'HS256'
        ? () => createHmac('sha256', keyObject).update(piece().input).digest()
        : () => {
            const p = piece();
            return cryptoVerify(hash, p.input, keyOptions, p.signature);
          },
    // The bare operation as a verifier must do it: from the token's text, with the comparison.
    'bare+compare':
      ALG === 'HS256'
        ? () => {
            const p = piece();
            return (
              createHmac('sha256', keyObject).update(p.signingInput).digest('base64url') === p.signatureText
            );
          }
        : () => {
            const p = piece();
            return cryptoVerify(
              hash,
              Buffer.from(p.signingInput, 'latin1'),
              keyOptions,
              Buffer.from(p.signatureText, 'base64url'),
            );
          },
    'bare+compare latin1': () => {
      const p = piece();
      return (
        createHmac('sha256', keyObject).update(p.signingInput, 'latin1').digest('base64url') ===
        p.signatureText
      );
    },
    decode: () => Buffer.from(payloads[next++ % POOL] as string, 'base64url').toString('utf8'),
    'JSON.parse': () => JSON.parse(texts[next++ % POOL] as string),
    verifyNow: () => plain.verifyNow(fresh()),
    verify: () => plain.verify(fresh()),
    cached: () => cached.verifyNow(tokens[0] as string),
  };
}

async function runCell(name: string): Promise<void> {
  const all = await cells();
  const cell = all[name];
  if (cell === undefined) throw new Error(`unknown cell ${name}; one of ${Object.keys(all).join(', ')}`);
  const isAsync = name === 'verify';
  for (let i = 0; i < WARM; i++) isAsync ? await cell() : cell();
  const ctl = (on: string) =>
    execFileSync('callgrind_control', ['-i', on, String(process.pid)], { stdio: 'ignore' });
  ctl('on');
  if (isAsync) for (let i = 0; i < N; i++) await cell();
  else for (let i = 0; i < N; i++) cell();
  ctl('off');
}

function count(name: string): number {
  const out = join(tmpdir(), `jwtgate-cg-${process.pid}-${name.replace(/\W/g, '_')}`);
  execFileSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--conditions=jwtgate-source',
      import.meta.filename,
      '--run',
      name,
      `--alg=${ALG}`,
      `--n=${N}`,
      `--warm=${WARM}`,
      `--src=${SRC}`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const text = readFileSync(out, 'utf8');
  rmSync(out);
  return Number(/^totals: (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

if (args.includes('--time')) {
  // Native CPU time per call, same cells, for comparison with the counts (noisy on a shared machine).
  const all = await cells();
  const wanted = args.filter((a) => !a.startsWith('--'));
  for (const name of wanted.length > 0 ? wanted : Object.keys(all)) {
    const cell = all[name] as Cell;
    const isAsync = name === 'verify';
    for (let i = 0; i < WARM; i++) isAsync ? await cell() : cell();
    const t0 = process.cpuUsage();
    if (isAsync) for (let i = 0; i < N; i++) await cell();
    else for (let i = 0; i < N; i++) cell();
    const u = process.cpuUsage(t0);
    console.log(`${name.padEnd(14)} ${((u.user + u.system) / N).toFixed(3)} µs`);
  }
} else if (args.includes('--run')) {
  await runCell(args[args.indexOf('--run') + 1] as string);
} else {
  const wanted = args.filter((a) => !a.startsWith('--'));
  const names = wanted.length > 0 ? wanted : ['bare', 'bare+compare', 'verifyNow', 'verify', 'cached'];
  const empty = count('empty');
  console.log(
    `${ALG}, instructions per call (callgrind, ${N} calls after ${WARM} warm-up, empty loop ${(empty / N).toFixed(0)} taken off), ${SRC}`,
  );
  const per: Record<string, number> = {};
  for (const name of names) {
    per[name] = (count(name) - empty) / N;
    console.log(`${name.padEnd(14)} ${per[name].toFixed(0).padStart(8)}`);
  }
  const bare = per.bare;
  if (bare !== undefined)
    for (const name of names)
      console.log(
        `${name} / bare: ${((per[name] as number) / bare).toFixed(2)}, bare / ${name}: ${(bare / (per[name] as number)).toFixed(2)}`,
      );
}
