// bench/gateway fixtures: tokens and keys, generated per run (nothing committed).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { scratch } from '../lib/processes.ts';
import { type DpopClient, makeDpopClient } from './dpop-proofs.ts';

export const ISSUER_HS = 'https://issuer.bench/hs';
export const ISSUER_ES = 'https://issuer.bench/es';
export const AUDIENCE = 'api://bench';
export const SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';
// Per token file (BENCH_FRESH_TOKENS; fewer only for runs without the hs-fresh row). More than the gateway's token cache holds (10,000) even per worker when
// --workers 2 splits the requests, so cycling through them never hits the cache.
const FRESH_TOKENS = Number(process.env.BENCH_FRESH_TOKENS ?? 40_000);

export interface Fixtures {
  readonly hsToken: string;
  readonly esToken: string;
  /** The esToken's claims bound to `dpopClient`'s key (cnf.jkt), another jti. */
  readonly esBoundToken: string;
  readonly dpopClient: DpopClient;
  /** Distinct HS256 tokens, one a line: the measured runs' and, disjoint from them, the warm-ups'. */
  readonly freshFile: string;
  readonly warmupFile: string;
  readonly firstFresh: string;
  /** The ES256 public key as a JWKS file. */
  readonly jwksFile: string;
}

export async function makeFixtures(): Promise<Fixtures> {
  const now = Math.floor(Date.now() / 1000);
  const claims = (jti: string) => ({
    sub: 'user-1',
    scope: 'read write',
    roles: ['billing'],
    client_id: 'bench',
    jti,
  });
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'bench-es', alg: 'ES256', use: 'sig' };
  const jwksFile = join(scratch(), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
  const secret = new TextEncoder().encode(SECRET);
  // Valid for the whole run: two hours from now.
  const sign = (alg: 'ES256' | 'HS256', jti: string, extra: Record<string, unknown> = {}) =>
    new SignJWT({ ...claims(jti), ...extra })
      .setProtectedHeader(alg === 'ES256' ? { alg, typ: 'at+jwt', kid: 'bench-es' } : { alg, typ: 'at+jwt' })
      .setIssuer(alg === 'ES256' ? ISSUER_ES : ISSUER_HS)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 7200)
      .sign(alg === 'ES256' ? pair.privateKey : secret);
  const tokenFile = async (name: string) => {
    const tokens: string[] = [];
    for (let i = 0; i < FRESH_TOKENS; i++) tokens.push(await sign('HS256', `${name}-${i}`));
    const file = join(scratch(), `${name}-tokens.txt`);
    writeFileSync(file, `${tokens.join('\n')}\n`);
    return { file, first: tokens[0] as string };
  };
  // The warm-up sends other tokens than the measured run, which so starts on uncached ones too.
  const fresh = await tokenFile('fresh');
  const warmup = await tokenFile('warmup');
  const dpopClient = await makeDpopClient();
  return {
    freshFile: fresh.file,
    warmupFile: warmup.file,
    firstFresh: fresh.first,
    esToken: await sign('ES256', 'reused-es'),
    esBoundToken: await sign('ES256', 'reused-es-bound', { cnf: { jkt: dpopClient.thumbprint } }),
    dpopClient,
    hsToken: await sign('HS256', 'reused-hs'),
    jwksFile,
  };
}

/** The token with one character of its signature changed. */
export function tamper(token: string): string {
  // Not the last character: its low bits may be padding.
  const i = token.lastIndexOf('.') + 10;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}
