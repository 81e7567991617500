// Where an uncached HS256 verification spends its time, step by step, measured on the verifier's
// own modules (so a checkout of another version can be measured beside this one, same run):
//   decode     base64url payload -> UTF-8 text (decodeBase64url, then decodeUtf8 where the
//              version has it, else isUtf8 and toString as older versions did)
//   parse      strict JSON: object, no duplicate member names (parseJsonObject)
//   split      the rest of parseToken: size, segments, header (cached), signature encoding
//   signature  verifySignature (the HMAC and its comparison)
//   claims     checkClaims
//   rest       verify() minus the above: provider and key selection, result, the promise
// decode and parse are timed alone; split and rest are what the enclosing call costs beyond them.

import { isUtf8 } from 'node:buffer';
import { pathToFileURL } from 'node:url';
import { type Contender, formatSpread } from './measure.ts';

export const STEPS = ['split', 'decode', 'parse', 'signature', 'claims', 'rest', 'total'] as const;

export interface StepModules {
  parseToken: (
    token: string,
    max: number,
    headers: unknown,
  ) => {
    header: Record<string, unknown>;
    claims: Record<string, unknown>;
    signingInput: string;
    signature: string;
  };
  HeaderCache: new () => unknown;
  decodeBase64url: (text: string) => Buffer | undefined;
  decodeUtf8: (bytes: Buffer) => string | undefined;
  parseJsonObject: (text: string) => unknown;
  verifySignature: (alg: string, key: unknown, input: string, signature: string) => boolean;
  checkClaims: (policy: unknown, header: unknown, claims: unknown, now: number) => number;
  loadSecret: (option: string, algs: string[], env: Record<string, string>) => unknown;
  compileProvider: (name: string, raw: unknown, path: string, context: unknown) => { policy: unknown };
  createVerifier: (options: unknown) => { verify: (token: string) => Promise<unknown> };
}

export async function loadModules(src: string): Promise<StepModules> {
  const at = (file: string) => import(pathToFileURL(`${src}/${file}`).href);
  const utf8 = await at('lib/utf8.ts').catch(() => ({
    decodeUtf8: (bytes: Buffer) => (isUtf8(bytes) ? bytes.toString('utf8') : undefined),
  }));
  const [parse, b64, json, sig, claims, secret, provider, verifier] = await Promise.all([
    at('parse-token.ts'),
    at('lib/base64url.ts'),
    at('lib/strict-json.ts'),
    at('verify-signature.ts'),
    at('check-claims.ts'),
    at('keys/secret.ts'),
    at('provider.ts'),
    at('create-verifier.ts'),
  ]);
  return {
    parseToken: parse.parseToken,
    HeaderCache: parse.HeaderCache,
    decodeBase64url: b64.decodeBase64url,
    decodeUtf8: utf8.decodeUtf8,
    parseJsonObject: json.parseJsonObject,
    verifySignature: sig.verifySignature,
    checkClaims: claims.checkClaims,
    loadSecret: secret.loadSecret,
    compileProvider: provider.compileProvider,
    createVerifier: verifier.createVerifier,
  };
}

/** One contender per measured call (parseToken, decode, parse, signature, claims, verify). */
export async function createStepContenders(
  src: string,
  label: string,
  tokens: readonly string[],
  provider: Record<string, unknown> & { secret: string },
): Promise<Contender[]> {
  const m = await loadModules(src);
  const headers = new m.HeaderCache();
  const parsed = tokens.map((t) => m.parseToken(t, 8192, headers));
  const payloads = tokens.map((t) => t.split('.')[1] as string);
  const texts = payloads.map((p) => Buffer.from(p, 'base64url').toString('utf8'));
  const key = m.loadSecret(provider.secret, ['HS256'], {});
  const { policy } = m.compileProvider('bench', provider, 'bench', { env: {}, now: Date.now });
  const verifier = m.createVerifier({ providers: { bench: provider } });
  const now = Math.floor(Date.now() / 1000);
  const pool = tokens.length;
  for (const p of parsed) {
    if (!m.verifySignature('HS256', key, p.signingInput, p.signature)) throw new Error(`${label}: bad HMAC`);
  }
  let i = 0;
  return [
    {
      name: `${label} parseToken`,
      isAsync: false,
      run: () => m.parseToken(tokens[i++ % pool] as string, 8192, headers),
    },
    {
      name: `${label} decode`,
      isAsync: false,
      run: () => {
        const bytes = m.decodeBase64url(payloads[i++ % pool] as string);
        return bytes === undefined ? undefined : m.decodeUtf8(bytes);
      },
    },
    { name: `${label} parse`, isAsync: false, run: () => m.parseJsonObject(texts[i++ % pool] as string) },
    {
      name: `${label} signature`,
      isAsync: false,
      run: () => {
        const p = parsed[i++ % pool] as (typeof parsed)[number];
        return m.verifySignature('HS256', key, p.signingInput, p.signature);
      },
    },
    {
      name: `${label} claims`,
      isAsync: false,
      run: () => {
        const p = parsed[i++ % pool] as (typeof parsed)[number];
        return m.checkClaims(policy, p.header, p.claims, now);
      },
    },
    { name: `${label} total`, isAsync: true, run: () => verifier.verify(tokens[i++ % pool] as string) },
  ];
}

/** Per-round µs of each step from the per-round ops/s of the step contenders. */
export function stepMicros(
  label: string,
  rates: Map<string, number[]>,
): Record<(typeof STEPS)[number], number[]> {
  const us = (step: string) => (rates.get(`${label} ${step}`) ?? []).map((r) => 1e6 / r);
  const [parseToken, decode, parse, signature, claims, total] = [
    'parseToken',
    'decode',
    'parse',
    'signature',
    'claims',
    'total',
  ].map(us) as number[][];
  const each = (f: (k: number) => number) => (total as number[]).map((_, k) => f(k));
  const at = (a: number[] | undefined, k: number) => (a as number[])[k] as number;
  return {
    split: each((k) => at(parseToken, k) - at(decode, k) - at(parse, k)),
    decode: decode as number[],
    parse: parse as number[],
    signature: signature as number[],
    claims: claims as number[],
    rest: each((k) => at(total, k) - at(parseToken, k) - at(signature, k) - at(claims, k)),
    total: total as number[],
  };
}

/** `median (p25–p75)` of a per-round series of µs. */
export function formatStep(values: readonly number[]): string {
  return formatSpread(values, (n) => n.toFixed(2));
}
