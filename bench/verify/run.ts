// bench/verify: verifications per second of @jwtgate/verify beside raw jose and fast-jwt, all in
// this one process and run, with the bare node:crypto signature operation on pre-split bytes as
// the floor. Prints a table with ratios. Not a test: nothing here fails on a number.
//
//   npm run bench:verify            (about 1 s per cell; BENCH_SECONDS=3 for steadier figures)

import {
  createHmac,
  createPublicKey,
  createSecretKey,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createVerifier } from '../../packages/verify/src/index.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const POOL = Number(process.env.BENCH_TOKENS ?? 2000);
const ISSUER = 'https://issuer.bench';
const AUDIENCE = 'api://bench';
const SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';

interface Row {
  alg: string;
  bare: number;
  jose: number;
  fastjwt: number;
  fastjwtCached: number;
  ours: number;
  oursSame: number;
  oursCached: number;
}

/** Runs `fn` repeatedly for SECONDS (after a warm-up) and returns operations per second. */
async function rate(fn: () => unknown, isAsync: boolean): Promise<number> {
  const run = async (ms: number) => {
    let n = 0;
    const start = performance.now();
    const end = start + ms;
    while (performance.now() < end) {
      for (let i = 0; i < 200; i++) {
        if (isAsync) await fn();
        else fn();
      }
      n += 200;
    }
    return (n * 1000) / (performance.now() - start);
  };
  await run(200);
  return run(SECONDS * 1000);
}

async function benchAlgorithm(alg: 'HS256' | 'RS256' | 'ES256' | 'EdDSA'): Promise<Row> {
  let signKey: CryptoKey | Uint8Array;
  let verifyKeyObject: KeyObject;
  let providerKeys: Record<string, unknown>;
  let fastKey: string;
  if (alg === 'HS256') {
    signKey = new TextEncoder().encode(SECRET);
    verifyKeyObject = createSecretKey(Buffer.from(SECRET));
    providerKeys = { secret: SECRET };
    fastKey = SECRET;
  } else {
    const pair = await generateKeyPair(alg, { extractable: true });
    signKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'bench', alg };
    verifyKeyObject = createPublicKey({ key: jwk, format: 'jwk' });
    providerKeys = { keys: { jwks: { keys: [jwk] } } };
    fastKey = await exportSPKI(pair.publicKey);
  }
  const now = Math.floor(Date.now() / 1000);
  // Distinct tokens (own jti and iat), as a gateway sees from many clients: nothing per token can be reused.
  const tokens: string[] = [];
  for (let i = 0; i < POOL; i++) {
    tokens.push(
      await new SignJWT({ sub: `user-${i}`, scope: 'read write', roles: ['billing'], client_id: 'bench' })
        .setProtectedHeader({ alg, typ: 'at+jwt', ...(alg === 'HS256' ? {} : { kid: 'bench' }) })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now - (i % 100))
        .setExpirationTime(now + 3600)
        .setJti(`jti-${i}`)
        .sign(signKey),
    );
  }
  const token = tokens[0] as string;
  let next = 0;
  const fresh = () => tokens[next++ % POOL] as string;

  // The floor: the signature operation alone on bytes already split and decoded, same tokens.
  const split = tokens.map((t) => {
    const dot = t.lastIndexOf('.');
    return { input: Buffer.from(t.slice(0, dot)), signature: Buffer.from(t.slice(dot + 1), 'base64url') };
  });
  const piece = () => split[next++ % POOL] as { input: Buffer; signature: Buffer };
  const verifyPiece =
    alg === 'ES256'
      ? (p: { input: Buffer; signature: Buffer }) =>
          cryptoVerify('sha256', p.input, { key: verifyKeyObject, dsaEncoding: 'ieee-p1363' }, p.signature)
      : alg === 'EdDSA'
        ? (p: { input: Buffer; signature: Buffer }) =>
            cryptoVerify(null, p.input, verifyKeyObject, p.signature)
        : (p: { input: Buffer; signature: Buffer }) =>
            cryptoVerify('sha256', p.input, verifyKeyObject, p.signature);
  const bareVariants: (() => unknown)[] =
    alg === 'HS256'
      ? [
          () => createHmac('sha256', verifyKeyObject).update(piece().input).digest(),
          () => createHmac('sha256', verifyKeyObject).update(piece().input).digest('base64url'),
        ]
      : [() => verifyPiece(piece())];

  const joseKey = alg === 'HS256' ? signKey : await generateKeyPairPublic(providerKeys, alg);
  const joseOptions = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' };
  const fast = createFastJwtVerifier({
    key: fastKey,
    algorithms: [alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
  });
  const fastCached = createFastJwtVerifier({
    key: fastKey,
    algorithms: [alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    cache: true,
  });
  const provider = {
    issuer: ISSUER,
    audiences: [AUDIENCE],
    algorithms: [alg],
    tokenTypes: ['at+jwt'],
    ...providerKeys,
  };
  const ours = createVerifier({ providers: { bench: provider } });
  const oursCached = createVerifier({ providers: { bench: provider }, cache: {} });
  // Sanity: every contender accepts the token before anything is timed.
  await jwtVerify(token, joseKey, joseOptions);
  fast(token);
  fastCached(token);
  await ours.verify(token);
  await oursCached.verify(token);

  // For HMAC the floor is whichever digest output node computes faster (a Buffer or base64url text).
  let bare = 0;
  for (const variant of bareVariants) bare = Math.max(bare, await rate(variant, false));
  return {
    alg,
    bare,
    jose: await rate(() => jwtVerify(fresh(), joseKey, joseOptions), true),
    fastjwt: await rate(() => fast(fresh()), false),
    fastjwtCached: await rate(() => fastCached(token), false),
    ours: await rate(() => ours.verify(fresh()), true),
    oursSame: await rate(() => ours.verify(token), true),
    oursCached: await rate(() => oursCached.verify(token), true),
  };
}

async function generateKeyPairPublic(providerKeys: Record<string, unknown>, alg: string) {
  const { importJWK } = await import('jose');
  const jwk = (providerKeys.keys as { jwks: { keys: Record<string, unknown>[] } }).jwks.keys[0];
  return importJWK(jwk as never, alg);
}

const k = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const rows: Row[] = [];
for (const alg of ['HS256', 'RS256', 'ES256', 'EdDSA'] as const) rows.push(await benchAlgorithm(alg));

console.log(
  `\n@jwtgate/verify, verifications per second (one core, ${SECONDS} s per cell, node ${process.version})\n`,
);
console.log(
  '| alg | bare node:crypto | jose | fast-jwt | jwtgate | jwtgate / bare | jwtgate / jose | jwtgate / fast-jwt | jwtgate, one token reused | fast-jwt cached | jwtgate cached | cached / fast-jwt cached |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.alg} | ${k(r.bare)} | ${k(r.jose)} | ${k(r.fastjwt)} | ${k(r.ours)} | ${x(r.ours, r.bare)} | ${x(r.ours, r.jose)} | ${x(r.ours, r.fastjwt)} | ${k(r.oursSame)} | ${k(r.fastjwtCached)} | ${k(r.oursCached)} | ${x(r.oursCached, r.fastjwtCached)} |`,
  );
}
console.log(
  `\nUncached columns verify ${POOL} distinct tokens in turn (bare, jose, fast-jwt and jwtgate alike); "one token reused" is jwtgate without its cache on a single token; cached columns reuse one token.`,
);
console.log('\nTargets: jwtgate / bare >= 0.80 for every algorithm; cached / fast-jwt cached >= 2.00.');
