import type { RevocationRecord, Store } from '../../store/types.ts';
import { revokeJti } from '../revocation/revoke-jti.ts';

/**
 * The oidc payload model that lists the JWT access tokens of a grant. oidc-provider keeps no
 * record of JWT access tokens, so revoking a grant (refresh token reuse, logout, revocation of a
 * refresh token) could not reach them; this list lets their jtis go on the revocation list. The
 * payload deliberately has no `grantId` member: the store's revokeByGrantId removes every entry
 * carrying one, and this list must outlive that removal until it has been read.
 */
export const GRANT_TOKENS_MODEL = 'GrantAccessTokens';

type Entry = readonly [jti: string, exp: number];

export interface GrantAccessTokens {
  /** Notes that `jti` (valid until `exp`, seconds) was issued under `grantId`. */
  track(grantId: string, jti: string, exp: number): Promise<void>;
  /** Puts every still-valid access token of the grant on the revocation list; returns how many. */
  revokeGrant(grantId: string, actor: string): Promise<number>;
}

/**
 * The grant -> access token list, in the store's oidc payload table (no migration needed). A
 * read-modify-write per issued token: two tokens issued under one grant at the same instant could
 * lose one entry on a multi-replica store; the token endpoint serialises a grant's refreshes in
 * practice (each rotation needs the previous refresh token).
 *
 * @example
 * const tokens = createGrantAccessTokens(store, () => feed.notify());
 * await tokens.track(grantId, jti, exp);
 * await tokens.revokeGrant(grantId, 'issuer');
 */
export function createGrantAccessTokens(
  store: Store,
  onRevoked: (record: RevocationRecord) => void,
  now: () => number = Date.now,
): GrantAccessTokens {
  const read = async (grantId: string): Promise<Entry[]> => {
    const payload = await store.oidc.find(GRANT_TOKENS_MODEL, grantId);
    const list = payload?.tokens;
    return Array.isArray(list)
      ? list.filter(
          (e): e is Entry => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number',
        )
      : [];
  };
  return {
    async track(grantId, jti, exp) {
      const nowSeconds = Math.floor(now() / 1000);
      const tokens = (await read(grantId)).filter(([, e]) => e > nowSeconds);
      tokens.push([jti, exp]);
      const last = Math.max(...tokens.map(([, e]) => e));
      await store.oidc.upsert(GRANT_TOKENS_MODEL, grantId, { tokens }, Math.max(1, last - nowSeconds));
    },
    async revokeGrant(grantId, actor) {
      const nowSeconds = Math.floor(now() / 1000);
      const tokens = (await read(grantId)).filter(([, e]) => e > nowSeconds);
      for (const [jti, exp] of tokens) {
        onRevoked(await revokeJti(store, { jti, exp, actor }));
      }
      await store.oidc.destroy(GRANT_TOKENS_MODEL, grantId);
      return tokens.length;
    },
  };
}
