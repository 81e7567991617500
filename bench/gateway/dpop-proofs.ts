// bench/gateway: DPoP proofs (RFC 9449) for the dpop row, signed with jose by a client key made per
// run. A measured run sends each proof once (a second use is a replay the gateway refuses), so the
// proofs of a run are made just before it, fresh (their iat now), as many as it can send.

import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface DpopClient {
  readonly jwk: JWK;
  /** `cnf.jkt` of the tokens bound to this key (RFC 7638 thumbprint). */
  readonly thumbprint: string;
  /** A proof for `method` `url` with `ath` of `token`, iat now and a new jti. */
  proof(method: string, url: string, token: string): Promise<string>;
}

export async function makeDpopClient(): Promise<DpopClient> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    thumbprint: await calculateJwkThumbprint(jwk),
    proof: (m, u, t) => sign(privateKey, jwk, m, u, t),
  };
}

function sign(key: CryptoKey, jwk: JWK, method: string, url: string, token: string): Promise<string> {
  return new SignJWT({
    jti: randomUUID(),
    htm: method,
    htu: url,
    ath: createHash('sha256').update(token).digest('base64url'),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .setIssuedAt()
    .sign(key);
}

/** Proofs a wrk run of `seconds` needs at up to `rps` requests a second (twice over, and 2000 more). */
export function proofsFor(seconds: number, rps: number): number {
  return Math.ceil(rps * seconds * 2) + 2000;
}

/** Writes `count` proofs for GET `url` with `token`, one a line (dpop-proofs.lua reads them). */
export async function writeProofs(
  client: DpopClient,
  file: string,
  count: number,
  url: string,
  token: string,
): Promise<void> {
  const lines: string[] = [];
  // In batches: WebCrypto signs concurrently, and a few thousand promises at a time stay small.
  for (let i = 0; i < count; i += 512) {
    const batch: Promise<string>[] = [];
    for (let j = i; j < Math.min(count, i + 512); j++) batch.push(client.proof('GET', url, token));
    lines.push(...(await Promise.all(batch)));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}
