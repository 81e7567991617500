import type Provider from 'oidc-provider';
import { type Client, errors, type Grant, type IssuedToken, type KoaContext } from 'oidc-provider';
import { readOwn } from '../../lib/own-record.ts';
import type { Store, UserRecord } from '../../store/types.ts';
import { pageHeaders, renderLogoutPage, renderMessagePage } from '../login/login-page.ts';
import type { GrantAccessTokens } from '../tokens/grant-access-tokens.ts';
import { tokenProfileOf } from './client-metadata.ts';

// The authorization code flow for users (issue 6): oidc-provider does the protocol; these are the
// policies it is configured with. Every client in the store is first-party (registered by the
// operator), so consent is implied: the grant is made from what the client asked for.

/** Paths of the user flows, as oidc-provider routes (the confirm and success pages hang below end_session). */
export const USER_ROUTES = {
  authorization: '/authorize',
  userinfo: '/userinfo',
  endSession: '/logout',
  endSessionConfirm: '/logout/confirm',
  endSessionSuccess: '/logout/success',
} as const;

/**
 * OpenID Connect scopes (Core 5.4) and the claims they release; `acr` and `amr` (Core 2: how the
 * user signed in) come with every ID token, not only when a client asks for them.
 */
export const USER_CLAIMS = { openid: ['sub', 'acr', 'amr'], profile: ['name'], email: ['email'] } as const;
export const USER_SCOPES = ['openid', 'offline_access', 'profile', 'email'] as const;
/** Scopes a user's access token may carry besides the client's registered API scopes (for /userinfo). */
const TOKEN_OIDC_SCOPES = ['openid', 'profile', 'email'];

export interface UserFlowSetup {
  readonly store: Store;
  readonly cookieKeys: readonly string[];
  readonly tokenLifetimeSeconds: number;
  /** A refresh token family ends this long after the login, however often it is rotated. */
  readonly refreshAbsoluteLifetimeSeconds: number;
  /** A public client's refresh token ends this long after it was issued unless used (and so rotated). */
  readonly refreshPublicIdleSeconds: number;
  readonly grantTokens: GrantAccessTokens;
}

/** The account object oidc-provider gets from findAccount, with the user record kept for the token claims. */
interface UserAccount {
  readonly accountId: string;
  readonly user: UserRecord;
  claims(): Promise<Record<string, unknown>>;
}

/** The part of oidc-provider's request context the user flows read (it is untyped JavaScript). */
interface UserFlowOidc {
  readonly route?: string;
  readonly client: Client & { grantTypeAllowed(type: string): boolean };
  readonly params: Record<string, unknown>;
  readonly provider: Provider;
  readonly session: {
    readonly accountId?: string;
    readonly authorizations?: Record<string, { persistsLogout?: boolean }>;
    grantIdFor(clientId: string): string | undefined;
  };
  readonly account?: UserAccount;
  readonly result?: { readonly consent?: { readonly grantId?: string } };
  readonly requestParamOIDCScopes: Set<string>;
  readonly requestParamClaims: Set<string>;
  readonly requestParamScopes: Set<string>;
  readonly resourceServers: Record<string, { readonly scopes: Set<string> }>;
  readonly entities: { readonly Account?: UserAccount };
}

const userContext = (ctx: KoaContext) => ctx.oidc as unknown as UserFlowOidc;
const epoch = () => Math.floor(Date.now() / 1000);

/** True unless the request is a client credentials token request (the services' flow). */
export function isUserFlow(ctx: KoaContext): boolean {
  return ctx.oidc?.params?.grant_type !== 'client_credentials';
}

/** The user's roles for a client: those given for that client id and those for every client ('*'). */
export function rolesFor(user: UserRecord, clientId: string): string[] {
  // Own entries only: a client id such as `constructor` must not find Object.prototype's member.
  return [...new Set([...(readOwn(user.roles, clientId) ?? []), ...(readOwn(user.roles, '*') ?? [])])];
}

/**
 * Resource server details (RFC 8707) for a user's token: the client's audience, its registered
 * API scopes plus the OpenID scopes, as an RFC 9068 JWT. A requested scope that is neither is
 * invalid_scope, as for client credentials.
 */
export function userResourceServerInfo(
  ctx: KoaContext,
  resource: string,
  client: Client,
  signingKey: { readonly alg: string; readonly kid: string },
  tokenLifetimeSeconds: number,
): Record<string, unknown> {
  const profile = tokenProfileOf(client);
  if (!profile.audiences.includes(resource))
    throw new errors.InvalidTarget('this client may not get tokens for the requested resource');
  const scope = ctx.oidc?.params?.scope;
  if (typeof scope === 'string' && ctx.oidc?.route !== 'token') {
    const denied = scope
      .split(' ')
      .find(
        (s) => s !== '' && !profile.scopes.includes(s) && !(USER_SCOPES as readonly string[]).includes(s),
      );
    if (denied !== undefined)
      throw new errors.InvalidScope('requested scope is not allowed for this client', denied);
  }
  return {
    audience: resource,
    scope: [...new Set([...profile.scopes, ...TOKEN_OIDC_SCOPES])].join(' '),
    accessTokenTTL: tokenLifetimeSeconds,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: signingKey.alg, kid: signingKey.kid } },
  };
}

/**
 * The claims jwtgate adds to a user's access token (`roles`), after noting its jti under its
 * grant: awaited here, before the token is signed and answered, so a revocation of the grant
 * can never miss it.
 */
export async function userTokenClaims(
  ctx: KoaContext,
  token: IssuedToken,
  setup: UserFlowSetup,
): Promise<Record<string, unknown>> {
  const { accountId, grantId } = token as IssuedToken & { accountId: string; grantId?: string };
  const user = userContext(ctx).entities.Account?.user ?? (await setup.store.users.get(accountId));
  if (grantId !== undefined)
    await setup.grantTokens.track(grantId, token.jti, epoch() + setup.tokenLifetimeSeconds + 60, accountId);
  return { roles: user === undefined ? [] : rolesFor(user, token.clientId), ...signInClaims(ctx) };
}

/**
 * How the user signed in (amr, acr), for the access token as the ID token has it: from the
 * code, device code or refresh token the token is issued for (oidc-provider keeps the login's amr
 * and acr on each, through every rotation).
 */
function signInClaims(ctx: KoaContext): { amr?: string[]; acr?: string } {
  const entities = ((ctx.oidc as { entities?: unknown } | undefined)?.entities ?? {}) as Record<
    string,
    { amr?: unknown; acr?: unknown } | undefined
  >;
  const source = entities.AuthorizationCode ?? entities.DeviceCode ?? entities.RefreshToken;
  const amr = Array.isArray(source?.amr) ? source.amr.filter((m): m is string => typeof m === 'string') : [];
  return {
    ...(amr.length > 0 ? { amr } : {}),
    ...(typeof source?.acr === 'string' ? { acr: source.acr } : {}),
  };
}

/** oidc-provider configuration of the user flows, merged into the Provider's by buildProvider. */
export function userFlowConfiguration(setup: UserFlowSetup): Record<string, unknown> {
  return {
    async findAccount(_ctx: KoaContext, sub: string): Promise<UserAccount | undefined> {
      const user = await setup.store.users.get(sub);
      // A disabled (or removed) user has no account: no login, no token, no refresh.
      if (user === undefined || user.disabled) return undefined;
      return {
        accountId: user.id,
        user,
        async claims() {
          return {
            sub: user.id,
            ...(user.name === null ? {} : { name: user.name }),
            ...(user.email === null ? {} : { email: user.email }),
          };
        },
      };
    },
    // First-party clients: what the client asks for is granted, without a consent page.
    async loadExistingGrant(ctx: KoaContext): Promise<Grant | undefined> {
      const oidc = userContext(ctx);
      const accountId = oidc.account?.accountId ?? oidc.session.accountId;
      if (accountId === undefined) return undefined;
      const clientId = oidc.client.clientId;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(clientId);
      let grant = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
      if (grant !== undefined && (grant.accountId !== accountId || grant.clientId !== clientId))
        grant = undefined;
      grant ??= new oidc.provider.Grant({ accountId, clientId });
      const scopes = [...oidc.requestParamOIDCScopes];
      if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
      const claims = [...oidc.requestParamClaims];
      if (claims.length > 0) grant.addOIDCClaims(claims);
      for (const [indicator, server] of Object.entries(oidc.resourceServers)) {
        const granted = [...oidc.requestParamScopes].filter((s) => server.scopes.has(s));
        if (granted.length > 0) grant.addResourceScope(indicator, granted.join(' '));
      }
      await grant.save();
      return grant;
    },
    // Every client with the refresh_token grant gets one, offline_access or not.
    issueRefreshToken: async (_ctx: KoaContext, client: UserFlowOidc['client']) =>
      client.grantTypeAllowed('refresh_token'),
    // RFC 9700 4.14.2: refresh tokens rotate on every use; reuse revokes the grant.
    rotateRefreshToken: () => true,
    // Tokens outlive the browser session (the absolute lifetime governs); logout ends them explicitly.
    expiresWithSession: async () => false,
    // RFC 9700 2.1.1: PKCE for every authorization code request; oidc-provider v9 only knows S256.
    pkce: { required: () => true },
    cookies: { keys: [...setup.cookieKeys] },
    interactions: {
      url: (_ctx: KoaContext, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
  };
}

/** Lifetimes of the user flows' artifacts. */
export function userFlowTtl(setup: UserFlowSetup): Record<string, unknown> {
  const absolute = setup.refreshAbsoluteLifetimeSeconds;
  return {
    AccessToken: setup.tokenLifetimeSeconds,
    AuthorizationCode: 60,
    IdToken: setup.tokenLifetimeSeconds,
    Interaction: 15 * 60,
    Session: 24 * 60 * 60,
    Grant: absolute,
    // `iiat` is the family's first issue time, kept by every rotation: the family's end never moves.
    // A public client's token also ends after an idle time: it rotates on every use, so a family
    // that is used lives on, and one left on a lost device ends soon (RFC 9700 4.14.2).
    RefreshToken: (_ctx: KoaContext, token: { iiat?: number }, client?: Client) => {
      const remaining = Math.max(1, (token.iiat ?? epoch()) + absolute - epoch());
      return client?.clientAuthMethod === 'none'
        ? Math.min(remaining, setup.refreshPublicIdleSeconds)
        : remaining;
    },
  };
}

/** RP-initiated logout with the issuer's own pages. */
export const USER_LOGOUT = {
  enabled: true,
  async logoutSource(ctx: KoaContext, form: string) {
    const oidc = userContext(ctx);
    // Logout ends the grants of this session: their refresh tokens are revoked and their access
    // tokens listed (oidc-provider keeps grants whose tokens outlive the session otherwise).
    for (const authorization of Object.values(oidc.session.authorizations ?? {}))
      authorization.persistsLogout = false;
    const target = oidc.params.post_logout_redirect_uri;
    for (const [name, value] of Object.entries(pageHeaders(typeof target === 'string' ? [target] : [])))
      ctx.set(name, value);
    ctx.body = renderLogoutPage(form, new URL(oidc.provider.issuer).host);
  },
  async postLogoutSuccessSource(ctx: KoaContext) {
    for (const [name, value] of Object.entries(pageHeaders())) ctx.set(name, value);
    ctx.body = renderMessagePage('Signed out', 'You are signed out.');
  },
};
