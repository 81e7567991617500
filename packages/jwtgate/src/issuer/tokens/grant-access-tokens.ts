import { processLock } from '../../store/process-lock.ts';
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

/** The oidc payload model that lists a user's grants, so all of them can be ended at once. */
export const ACCOUNT_GRANTS_MODEL = 'AccountGrants';

type Entry = readonly [id: string, until: number];

export interface GrantAccessTokens {
  /** Notes that `jti` (valid until `exp`, seconds) was issued under `grantId`, of `accountId`. */
  track(grantId: string, jti: string, exp: number, accountId?: string): Promise<void>;
  /** Puts every still-valid access token of the grant on the revocation list; returns how many. */
  revokeGrant(grantId: string, actor: string): Promise<number>;
  /**
   * Ends every grant of a user (disabled, password reset, removed): their refresh tokens are
   * deleted and their access tokens revoked. Returns how many grants were ended.
   */
  revokeAccount(accountId: string, actor: string): Promise<number>;
}

/**
 * The grant -> access token and user -> grant lists, in the store's oidc payload table (no
 * migration needed). Each update is a read-modify-write queued per list in this process (not under
 * the store's lock: a database lock per issued token would hold a pooled connection while the
 * update waits for another). Two replicas updating one list at the same instant could lose an
 * entry; the token endpoint serialises a grant's refreshes in practice (each rotation needs the
 * previous refresh token), and a user rarely starts two grants in the same millisecond.
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
  /** How long a grant can live (the refresh tokens' absolute lifetime): its entry in the user's list. */
  grantLifetimeSeconds = 30 * 86400,
): GrantAccessTokens {
  const read = async (model: string, id: string): Promise<Entry[]> => {
    const payload = await store.oidc.find(model, id);
    const list = payload?.tokens;
    return Array.isArray(list)
      ? list.filter(
          (e): e is Entry => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number',
        )
      : [];
  };
  /** Adds `[id, until]` to the list `model`/`key`, dropping what has run out; under the list's lock. */
  const queued = processLock();
  const append = (model: string, key: string, id: string, until: number) =>
    queued(`${model}:${key}`, async () => {
      const nowSeconds = Math.floor(now() / 1000);
      const list = (await read(model, key)).filter(([other, e]) => e > nowSeconds && other !== id);
      list.push([id, until]);
      const last = Math.max(...list.map(([, e]) => e));
      await store.oidc.upsert(model, key, { tokens: list }, Math.max(1, last - nowSeconds));
    });
  const self: GrantAccessTokens = {
    async track(grantId, jti, exp, accountId) {
      await append(GRANT_TOKENS_MODEL, grantId, jti, exp);
      if (accountId !== undefined)
        await append(
          ACCOUNT_GRANTS_MODEL,
          accountId,
          grantId,
          Math.floor(now() / 1000) + grantLifetimeSeconds,
        );
    },
    async revokeGrant(grantId, actor) {
      return queued(`${GRANT_TOKENS_MODEL}:${grantId}`, async () => {
        const nowSeconds = Math.floor(now() / 1000);
        const tokens = (await read(GRANT_TOKENS_MODEL, grantId)).filter(([, e]) => e > nowSeconds);
        for (const [jti, exp] of tokens) {
          onRevoked(await revokeJti(store, { jti, exp, actor }));
        }
        await store.oidc.destroy(GRANT_TOKENS_MODEL, grantId);
        return tokens.length;
      });
    },
    async revokeAccount(accountId, actor) {
      const grants = await read(ACCOUNT_GRANTS_MODEL, accountId);
      for (const [grantId] of grants) {
        await self.revokeGrant(grantId, actor);
        // Every entry carrying the grant id goes: the grant, its refresh tokens, codes.
        await store.oidc.revokeByGrantId('Grant', grantId);
      }
      await store.oidc.destroy(ACCOUNT_GRANTS_MODEL, accountId);
      return grants.length;
    },
  };
  return self;
}
