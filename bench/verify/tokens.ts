// The tokens every verify bench signs: distinct (own jti and iat), as a gateway sees from many
// clients, so nothing per token can be reused.

import { type CryptoKey, SignJWT } from 'jose';

export const ISSUER = 'https://issuer.bench';
export const AUDIENCE = 'api://bench';

/** `count` distinct access tokens of `alg` (a `kid` on all but HS256), valid for an hour. */
export async function signTokens(
  alg: string,
  signKey: CryptoKey | Uint8Array,
  count: number,
): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
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
  return tokens;
}

/** A token split for a bare operation: the signing input and the signature, as text and bytes. */
export interface SplitToken {
  readonly input: Buffer;
  readonly signingInput: string;
  readonly signature: Buffer;
  readonly signatureText: string;
}

export function splitTokens(tokens: readonly string[]): SplitToken[] {
  return tokens.map((t) => {
    const dot = t.lastIndexOf('.');
    return {
      input: Buffer.from(t.slice(0, dot)),
      signingInput: t.slice(0, dot),
      signature: Buffer.from(t.slice(dot + 1), 'base64url'),
      signatureText: t.slice(dot + 1),
    };
  });
}
