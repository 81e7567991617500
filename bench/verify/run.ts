// bench/verify: verifications per second of @jwtgate/verify beside raw jose and fast-jwt, all in
// this one process and run, with the bare node:crypto signature operation on pre-split bytes as
// the floor. Every cell is measured in interleaved rounds (see measure.ts); the tables give the
// median with the spread over rounds, and ratios taken within each round. Then, for HS256, the
// µs of each step of a verification (steps.ts). Not a test: nothing here fails on a number.
//
//   npm run bench:verify
//   BENCH_ROUNDS=25 BENCH_SLICE_MS=60     rounds, and the CPU time of one cell in a round
//   BENCH_WARM_MS=300                     warm-up of each cell before the rounds
//   BENCH_BASELINE_SRC=/other/checkout/packages/verify/src
//                                         also measure that version of the verifier, same rounds
//   BENCH_ALGS=HS256,ES256                only these algorithms (the step table needs HS256)

import {
  createHmac,
  createPublicKey,
  createSecretKey,
  verify as cryptoVerify,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, importJWK, type JWK, jwtVerify } from 'jose';
import { createLadderContenders, RUNGS } from './ladder.ts';
import {
  type Contender,
  fastest,
  formatRate,
  formatRatio,
  measureInterleaved,
  median,
  ratios,
} from './measure.ts';
import { createStepContenders, formatStep, STEPS, stepMicros } from './steps.ts';
import { AUDIENCE, ISSUER, type SplitToken, signTokens, splitTokens } from './tokens.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 60);
const WARM_MS = Number(process.env.BENCH_WARM_MS ?? 300);
const POOL = Number(process.env.BENCH_TOKENS ?? 2000);
const OURS_SRC = resolve(import.meta.dirname, '../../packages/verify/src');
const BASELINE_SRC = process.env.BENCH_BASELINE_SRC ? resolve(process.env.BENCH_BASELINE_SRC) : undefined;
const SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';
const ALL_ALGS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const;
type Alg = (typeof ALL_ALGS)[number];
const ALGS = process.env.BENCH_ALGS
  ? ALL_ALGS.filter((a) => (process.env.BENCH_ALGS as string).split(',').includes(a))
  : ALL_ALGS;

type VerifyFn = (token: string) => Promise<unknown>;
type CreateVerifier = (options: unknown) => { verify: VerifyFn; verifyNow: (token: string) => unknown };

async function loadCreateVerifier(src: string): Promise<CreateVerifier> {
  return (await import(pathToFileURL(`${src}/index.ts`).href)).createVerifier;
}

interface Setup {
  alg: Alg;
  tokens: string[];
  provider: Record<string, unknown>;
  contenders: Contender[];
  /** Names of the contenders that are variants of the floor (the fastest one counts per round). */
  bare: string[];
}

async function setUp(alg: Alg, versions: { label: string; create: CreateVerifier }[]): Promise<Setup> {
  let signKey: CryptoKey | Uint8Array;
  let verifyKeyObject: KeyObject;
  let providerKeys: Record<string, unknown>;
  let fastKey: string;
  let joseKey: CryptoKey | Uint8Array;
  if (alg === 'HS256') {
    signKey = new TextEncoder().encode(SECRET);
    joseKey = signKey;
    verifyKeyObject = createSecretKey(Buffer.from(SECRET));
    providerKeys = { secret: SECRET };
    fastKey = SECRET;
  } else {
    const pair = await generateKeyPair(alg, { extractable: true });
    signKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'bench', alg };
    verifyKeyObject = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    providerKeys = { keys: { jwks: { keys: [jwk] } } };
    fastKey = await exportSPKI(pair.publicKey);
    joseKey = (await importJWK(jwk, alg)) as CryptoKey;
  }
  const tokens = await signTokens(alg, signKey, POOL);
  const token = tokens[0] as string;
  let next = 0;
  const fresh = () => tokens[next++ % POOL] as string;

  // The floor: the signature operation alone on bytes already split and decoded, same tokens.
  const split = splitTokens(tokens);
  const piece = () => split[next++ % POOL] as SplitToken;
  const bare: Contender[] =
    alg === 'HS256'
      ? [
          // For HMAC the floor is whichever digest output node computes faster, per round, each
          // compared with the token's signature (as the other algorithms' verify() does).
          {
            name: 'bare',
            isAsync: false,
            run: () => {
              const p = piece();
              return timingSafeEqual(
                createHmac('sha256', verifyKeyObject).update(p.input).digest(),
                p.signature,
              );
            },
          },
          {
            name: 'bare (base64url digest)',
            isAsync: false,
            run: () => {
              const p = piece();
              return (
                createHmac('sha256', verifyKeyObject).update(p.input).digest('base64url') === p.signatureText
              );
            },
          },
        ]
      : [
          {
            name: 'bare',
            isAsync: false,
            run:
              alg === 'ES256'
                ? () => {
                    const p = piece();
                    const key = { key: verifyKeyObject, dsaEncoding: 'ieee-p1363' as const };
                    return cryptoVerify('sha256', p.input, key, p.signature);
                  }
                : () => {
                    const p = piece();
                    return cryptoVerify(
                      alg === 'EdDSA' ? null : 'sha256',
                      p.input,
                      verifyKeyObject,
                      p.signature,
                    );
                  },
          },
        ];

  // A ceiling, not a verifier: every check taken out (no header, no strict decoding, no
  // duplicate names, one claim), what is left is the split, the signature and JSON.parse of the
  // payload. No verifier doing more can reach a higher ratio to the bare operation.
  const hash = alg === 'EdDSA' ? null : 'sha256';
  const keyOptions =
    alg === 'ES256' ? { key: verifyKeyObject, dsaEncoding: 'ieee-p1363' as const } : verifyKeyObject;
  const ceiling: Contender = {
    name: 'no checks',
    isAsync: false,
    run: () => {
      const t = fresh();
      const dot1 = t.indexOf('.');
      const dot2 = t.lastIndexOf('.');
      const ok =
        alg === 'HS256'
          ? createHmac('sha256', verifyKeyObject).update(t.slice(0, dot2)).digest('base64url') ===
            t.slice(dot2 + 1)
          : cryptoVerify(
              hash,
              Buffer.from(t.slice(0, dot2), 'latin1'),
              keyOptions,
              Buffer.from(t.slice(dot2 + 1), 'base64url'),
            );
      if (!ok) throw new Error('bad signature');
      const claims = JSON.parse(Buffer.from(t.slice(dot1 + 1, dot2), 'base64url').toString('utf8'));
      if (!(claims.exp > Date.now() / 1000)) throw new Error('expired');
      return claims;
    },
  };
  ceiling.run();

  const joseOptions = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' };
  const fastOptions = { key: fastKey, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE };
  const fast = createFastJwtVerifier(fastOptions);
  const fastCached = createFastJwtVerifier({ ...fastOptions, cache: true });
  const provider = {
    issuer: ISSUER,
    audiences: [AUDIENCE],
    algorithms: [alg],
    tokenTypes: ['at+jwt'],
    ...providerKeys,
  };
  // Sanity: every contender accepts the token before anything is timed.
  await jwtVerify(token, joseKey, joseOptions);
  fast(token);
  fastCached(token);
  const contenders: Contender[] = [
    ...bare,
    ceiling,
    { name: 'jose', isAsync: true, run: () => jwtVerify(fresh(), joseKey, joseOptions) },
    { name: 'fast-jwt', isAsync: false, run: () => fast(fresh()) },
    { name: 'fast-jwt cached', isAsync: false, run: () => fastCached(token) },
  ];
  for (const { label, create } of versions) {
    const plain = create({ providers: { bench: provider } });
    const cached = create({ providers: { bench: provider }, cache: {} });
    await plain.verify(token);
    await cached.verify(token);
    contenders.push(
      { name: `${label}`, isAsync: true, run: () => plain.verify(fresh()) },
      // The same verification without its promise: what the gateway calls (verifyNow).
      { name: `${label} verifyNow`, isAsync: false, run: () => plain.verifyNow(fresh()) },
      { name: `${label} reused`, isAsync: true, run: () => plain.verify(token) },
      { name: `${label} cached`, isAsync: true, run: () => cached.verify(token) },
    );
  }
  return { alg, tokens, provider, contenders, bare: bare.map((b) => b.name) };
}

const versions = [{ label: 'jwtgate', src: OURS_SRC }];
if (BASELINE_SRC !== undefined) versions.push({ label: 'baseline', src: BASELINE_SRC });
const loaded = await Promise.all(
  versions.map(async (v) => ({ ...v, create: await loadCreateVerifier(v.src) })),
);
const options = { rounds: ROUNDS, sliceMs: SLICE_MS, warmMs: WARM_MS };

console.log(
  `\n@jwtgate/verify, verifications per second (node ${process.version}; ${ROUNDS} interleaved rounds of ${SLICE_MS} ms per cell; median (p25–p75) over rounds)`,
);
for (const v of loaded) console.log(`  ${v.label}: ${v.src}`);

const setups: Setup[] = [];
const results = new Map<Alg, Map<string, number[]>>();
for (const alg of ALGS) {
  const setup = await setUp(alg, loaded);
  setups.push(setup);
  results.set(alg, await measureInterleaved(setup.contenders, options));
}

const get = (alg: Alg, name: string) => results.get(alg)?.get(name) ?? [];
const floor = (alg: Alg) =>
  fastest((setups.find((s) => s.alg === alg) as Setup).bare.map((name) => get(alg, name)));

console.log(
  '\n| alg | bare node:crypto | no checks (ceiling) | no checks ÷ bare | jose | fast-jwt | fast-jwt ÷ bare | fast-jwt cached |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const alg of ALGS) {
  const none = get(alg, 'no checks');
  const fast = get(alg, 'fast-jwt');
  console.log(
    `| ${alg} | ${formatRate(floor(alg))} | ${formatRate(none)} | ${formatRatio(ratios(none, floor(alg)))} | ${formatRate(get(alg, 'jose'))} | ${formatRate(fast)} | ${formatRatio(ratios(fast, floor(alg)))} | ${formatRate(get(alg, 'fast-jwt cached'))} |`,
  );
}
for (const { label } of loaded) {
  console.log(`\n${label}:\n`);
  console.log(
    '| alg | uncached | ÷ bare | ÷ jose | ÷ fast-jwt | verifyNow ÷ bare | one token reused | cached | cached ÷ fast-jwt cached |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const alg of ALGS) {
    const ours = get(alg, label);
    const cached = get(alg, `${label} cached`);
    console.log(
      `| ${alg} | ${formatRate(ours)} | ${formatRatio(ratios(ours, floor(alg)))} | ${formatRatio(ratios(ours, get(alg, 'jose')))} | ${formatRatio(ratios(ours, get(alg, 'fast-jwt')))} | ${formatRatio(ratios(get(alg, `${label} verifyNow`), floor(alg)))} | ${formatRate(get(alg, `${label} reused`))} | ${formatRate(cached)} | ${formatRatio(ratios(cached, get(alg, 'fast-jwt cached')))} |`,
    );
  }
}
if (loaded.length > 1) {
  console.log('\njwtgate ÷ baseline, same rounds:\n');
  console.log('| alg | uncached | cached |');
  console.log('|---|---:|---:|');
  for (const alg of ALGS) {
    console.log(
      `| ${alg} | ${formatRatio(ratios(get(alg, 'jwtgate'), get(alg, 'baseline')))} | ${formatRatio(ratios(get(alg, 'jwtgate cached'), get(alg, 'baseline cached')))} |`,
    );
  }
}

// Steps of an uncached HS256 verification, every version in the same rounds.
const hs = setups.find((s) => s.alg === 'HS256');
if (hs !== undefined) {
  const stepContenders: Contender[] = [];
  for (const v of loaded) {
    stepContenders.push(
      ...(await createStepContenders(v.src, v.label, hs.tokens, hs.provider as { secret: string })),
    );
  }
  const stepRates = await measureInterleaved(stepContenders, options);
  console.log('\nHS256, µs per uncached verification by step, median (p25–p75) over rounds:\n');
  console.log(`| step | ${loaded.map((v) => v.label).join(' | ')} |`);
  console.log(`|---|${loaded.map(() => '---:').join('|')}|`);
  const micros = loaded.map((v) => stepMicros(v.label, stepRates));
  for (const step of STEPS)
    console.log(`| ${step} | ${micros.map((m) => formatStep(m[step])).join(' | ')} |`);
  console.log(`(HS256 floor this run: ${(1e6 / median(floor('HS256'))).toFixed(2)} µs per HMAC)`);

  // The ceiling with the verifier's checks put back one at a time, bare HMAC in the same rounds.
  const bareHmac = hs.contenders.filter((c) => hs.bare.includes(c.name));
  const ladder = await createLadderContenders(OURS_SRC, hs.tokens, hs.provider as { secret: string });
  const ladderRates = await measureInterleaved([...bareHmac, ...ladder], options);
  const ladderFloor = fastest(hs.bare.map((name) => ladderRates.get(name) ?? []));
  console.log('\nHS256, the ceiling with each check put back in turn (jwtgate), same rounds:\n');
  console.log('| with | µs | added µs (per round) | ÷ bare |');
  console.log('|---|---:|---:|---:|');
  let previous: number[] | undefined;
  for (const rung of RUNGS) {
    const us = (ladderRates.get(`ladder ${rung}`) ?? []).map((r) => 1e6 / r);
    const added =
      previous === undefined ? '' : formatStep(us.map((v, k) => v - ((previous as number[])[k] as number)));
    const rates = us.map((v) => 1e6 / v);
    console.log(`| ${rung} | ${formatStep(us)} | ${added} | ${formatRatio(ratios(rates, ladderFloor))} |`);
    previous = us;
  }
}

console.log(
  `\nUncached: ${POOL} distinct tokens in turn (bare, jose, fast-jwt and jwtgate alike); "one token reused" is jwtgate without its cache on a single token; cached columns reuse one token. Ratios are per round, then the median.`,
);
console.log(
  '"no checks" is not a verifier: split, signature, base64url and JSON.parse of the payload, exp; it bounds what any verifier can reach here.',
);
console.log(
  'Targets: uncached ÷ bare >= 0.45 (HS256), >= 0.80 (RS256, ES256, EdDSA); cached ÷ fast-jwt cached >= 2.',
);
