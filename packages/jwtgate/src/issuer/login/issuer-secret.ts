import { createHmac, randomBytes } from 'node:crypto';
import type { Store } from '../../store/types.ts';

/** Where the secret lives: the store's oidc payload table, so every replica shares it (no migration). */
const MODEL = 'IssuerSecret';
const ID = 'v1';

export interface IssuerSecrets {
  /** Keys of oidc-provider's signed cookies (session, interaction). */
  readonly cookieKeys: readonly string[];
  /** Key of the login and logout forms' CSRF tokens. */
  readonly csrfKey: Buffer;
  /** Key of the DPoP nonces (RFC 9449 8), the same on every replica so any of them accepts a nonce another gave. */
  readonly dpopNonceKey: Buffer;
}

/**
 * The issuer's server secret, made once (256 random bits) and kept in the store; the cookie, CSRF and
 * DPoP nonce keys are derived from it, each for its one use. It is read, and made when missing, under
 * the store's lock, so replicas starting on an empty store at the same instant agree on one.
 *
 * @example
 * const { cookieKeys, csrfKey } = await loadIssuerSecrets(store);
 */
export async function loadIssuerSecrets(store: Store): Promise<IssuerSecrets> {
  const stored = await store.exclusive('issuer-secret', async () => {
    const found = await store.oidc.find(MODEL, ID);
    if (typeof found?.key === 'string') return found;
    await store.oidc.upsert(MODEL, ID, { key: randomBytes(32).toString('base64url') }, undefined);
    return store.oidc.find(MODEL, ID);
  });
  const key = Buffer.from(String(stored?.key), 'base64url');
  if (key.length < 32) throw new Error('the issuer secret in the store is too short');
  const derive = (use: string) => createHmac('sha256', key).update(`jwtgate ${use}`).digest();
  return Object.freeze({
    cookieKeys: Object.freeze([derive('cookies').toString('base64url')]),
    csrfKey: derive('csrf'),
    dpopNonceKey: derive('dpop-nonce'),
  });
}
