import type { AdapterConstructor, AdapterPayload } from 'oidc-provider';
import type { GrantAccessTokens } from '../tokens/grant-access-tokens.ts';

export interface UserGrantAdapterOptions {
  /** For this long after its first use, a rotated refresh token is still accepted (a retry, not a theft). */
  readonly graceSeconds: number;
  readonly grantTokens: GrantAccessTokens;
  /** Public clients get no grace: nothing tells their retry from a thief's replay. */
  readonly isPublicClient: (clientId: string) => Promise<boolean>;
  /** How long a device code is kept after it expired, so a poll is told `expired_token` (RFC 8628 3.5). */
  readonly deviceCodeRetentionSeconds: number;
  readonly now?: () => number;
}

/**
 * The storage adapter with two rules for the tokens of users' grants:
 *
 * - Refresh token grace: oidc-provider treats a consumed refresh token presented again as
 *   reuse and revokes the whole grant (OAuth 2.0 Security BCP, RFC 9700 4.14.2). A client whose
 *   network dropped the answer to a rotation would lose its session that way, so for
 *   `graceSeconds` after the first use the token is handed back as not consumed: the retry gets
 *   a new pair. After that, a reuse revokes the grant. A public client has no grace: it cannot
 *   authenticate its retry, so its first reuse revokes the grant.
 * - Grant revocation reaches JWT access tokens: when oidc-provider revokes a grant's access
 *   tokens (it only knows opaque ones), the grant's JWT access tokens are put on the revocation
 *   list before it answers.
 * - Expired device codes stay a while: oidc-provider answers `expired_token` for a device code
 *   it still finds, `invalid_grant` (unknown code) otherwise.
 */
export function withUserGrants(
  Base: AdapterConstructor,
  options: UserGrantAdapterOptions,
): AdapterConstructor {
  const now = options.now ?? Date.now;
  return class UserGrantAdapter extends Base {
    readonly #model: string;

    constructor(model: string) {
      super(model);
      this.#model = model;
    }

    override async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
      const keep =
        this.#model === 'DeviceCode' && expiresIn !== undefined
          ? expiresIn + options.deviceCodeRetentionSeconds
          : expiresIn;
      await super.upsert(id, payload, keep);
    }

    override async find(id: string): Promise<AdapterPayload | undefined> {
      const payload = await super.find(id);
      if (this.#model !== 'RefreshToken' || payload === undefined || typeof payload.consumed !== 'number')
        return payload;
      if (Math.floor(now() / 1000) - payload.consumed >= options.graceSeconds) return payload;
      if (typeof payload.clientId !== 'string' || (await options.isPublicClient(payload.clientId)))
        return payload;
      const { consumed: _retry, ...rest } = payload;
      return rest;
    }

    override async revokeByGrantId(grantId: string): Promise<void> {
      if (this.#model === 'AccessToken') await options.grantTokens.revokeGrant(grantId, 'issuer');
      await super.revokeByGrantId(grantId);
    }
  };
}
