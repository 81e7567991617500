import Provider, {
  type AdapterConstructor,
  type Client,
  errors,
  type IssuedToken,
  type KoaContext,
  type OidcContext,
} from 'oidc-provider';
import { verifyClientSecret } from '../../store/hash-secret.ts';
import { isStoreUnavailable } from '../../store/store-unavailable.ts';
import type { KeySnapshot } from '../keys/key-ring.ts';
import { pageHeaders, renderMessagePage } from '../login/login-page.ts';
import {
  TOKEN_EXCHANGE_PARAMETERS,
  TOKEN_EXCHANGE_REPEATABLE,
  type TokenExchange,
} from '../tokens/exchange-token.ts';
import { introspectOwnToken, type OwnTokenContext, revokeOwnToken } from '../tokens/own-token-endpoints.ts';
import { EXTRA_CLIENT_METADATA, tokenProfileOf } from './client-metadata.ts';
import { describeIssuer } from './describe-issuer.ts';
import { DEVICE_ROUTES, type DeviceFlowSetup, deviceFlowFeature, pacePolling } from './device-flow.ts';
import { TOKEN_EXCHANGE_GRANT } from './grant-types.ts';
import {
  isUserFlow,
  USER_CLAIMS,
  USER_LOGOUT,
  USER_ROUTES,
  USER_SCOPES,
  type UserFlowSetup,
  userFlowConfiguration,
  userFlowTtl,
  userResourceServerInfo,
  userTokenClaims,
} from './user-flows.ts';

/**
 * Client authentication methods offered (RFC 6749 2.3.1, RFC 7523 2.2), and `none` for public
 * clients (browser and native apps, which must use PKCE). No client_secret_jwt: secrets are only
 * stored hashed.
 */
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
] as const;

/** oidc-provider routes a browser app may call cross-origin; CORS answers only its own web origins. */
const CLIENT_CORS_ROUTES = new Set(['token', 'revocation', 'introspection', 'device_authorization']);

/** Algorithms accepted for private_key_jwt client assertions: asymmetric only. */
const CLIENT_ASSERTION_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
];

/** Paths oidc-provider serves for the issuer; the issuer's router passes only these to it. */
export const OAUTH_ROUTES = {
  token: '/token',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
  jwks: '/.well-known/jwks.json',
  openidConfiguration: '/.well-known/openid-configuration',
  oauthAuthorizationServer: '/.well-known/oauth-authorization-server',
  authorization: USER_ROUTES.authorization,
  endSession: USER_ROUTES.endSession,
  endSessionConfirm: USER_ROUTES.endSessionConfirm,
  endSessionSuccess: USER_ROUTES.endSessionSuccess,
  deviceAuthorization: DEVICE_ROUTES.deviceAuthorization,
  codeVerification: DEVICE_ROUTES.codeVerification,
} as const;

export interface ProviderSetup {
  readonly issuer: string;
  readonly keys: KeySnapshot;
  readonly adapter: AdapterConstructor;
  /** The key that signs at this instant. */
  readonly signingKey: () => { readonly kid: string; readonly alg: string };
  readonly tokenLifetimeSeconds: number;
  /** Cache-Control max-age of the JWKS: shorter than the pre-publication time of a new key. */
  readonly jwksMaxAgeSeconds: number;
  readonly ownTokens: OwnTokenContext;
  readonly onIssued: (token: IssuedToken) => void;
  readonly onServerError: (err: unknown) => void;
  /** The authorization code flow for users: login, first-party grants, refresh policy. */
  readonly users: UserFlowSetup;
  /** Whether any enabled client registers this web origin (CORS before the client is known). */
  readonly isWebOrigin: (origin: string) => Promise<boolean>;
  /** The device authorization grant (RFC 8628). */
  readonly deviceFlow: DeviceFlowSetup;
  /** Token exchange (RFC 8693), a grant type registered with oidc-provider. */
  readonly tokenExchange: TokenExchange;
}

function requestedScopes(ctx: KoaContext): string[] | undefined {
  const scope = ctx.oidc?.params?.scope;
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : undefined;
}

/**
 * An oidc-provider instance for the client credentials grant, issuing RFC 9068 JWT access tokens.
 * The protocol (client authentication, grant and error handling, metadata) is oidc-provider's;
 * this supplies the policy: which audiences (resource indicators, RFC 8707) and scopes a client
 * may get, the key that signs, the extra claims, and answers for JWT access tokens at the
 * revocation and introspection endpoints. Built again whenever the published keys change.
 *
 * @example
 * const provider = buildProvider({ issuer, keys: ring.snapshot(), adapter: createStoreAdapter(store),
 *   signingKey: () => ring.signingKey(), tokenLifetimeSeconds: 300, jwksMaxAgeSeconds: 300, ownTokens, onIssued, onServerError });
 * const handle = provider.callback();
 */
export function buildProvider(setup: ProviderSetup): Provider {
  const signingAlg = setup.signingKey().alg;
  const provider = new Provider(setup.issuer, {
    adapter: setup.adapter,
    jwks: { keys: setup.keys.privateJwks },
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    enabledJWA: {
      clientAuthSigningAlgValues: CLIENT_ASSERTION_ALGORITHMS,
      idTokenSigningAlgValues: [signingAlg],
    },
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      id_token_signed_response_alg: signingAlg,
    },
    extraClientMetadata: { properties: [...EXTRA_CLIENT_METADATA], validator() {} },
    // Users: the authorization code flow only (with PKCE, see user-flows.ts).
    responseTypes: ['code'],
    scopes: [...USER_SCOPES],
    claims: Object.fromEntries(Object.entries(USER_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
    routes: {
      token: OAUTH_ROUTES.token,
      introspection: OAUTH_ROUTES.introspection,
      revocation: OAUTH_ROUTES.revocation,
      jwks: OAUTH_ROUTES.jwks,
      authorization: USER_ROUTES.authorization,
      userinfo: USER_ROUTES.userinfo,
      end_session: USER_ROUTES.endSession,
      device_authorization: DEVICE_ROUTES.deviceAuthorization,
      code_verification: DEVICE_ROUTES.codeVerification,
    },
    ttl: {
      ClientCredentials: setup.tokenLifetimeSeconds,
      ...userFlowTtl(setup.users),
      DeviceCode: setup.deviceFlow.codeLifetimeSeconds,
    },
    // Browser apps (public clients) call from their registered web origins only.
    clientBasedCORS: (_ctx: KoaContext, origin: string, client: Client) =>
      tokenProfileOf(client).webOrigins.includes(origin),
    ...userFlowConfiguration(setup.users),
    renderError: (ctx: KoaContext, out: Record<string, unknown>) => {
      ctx.body = out;
    },
    features: {
      clientCredentials: { enabled: true },
      deviceFlow: deviceFlowFeature(),
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        // RFC 7009 2.1: a client may revoke only its own tokens.
        allowedPolicy: async (_ctx: KoaContext, client: Client, token: { clientId: string }) => {
          if (token.clientId !== client.clientId)
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      devInteractions: { enabled: false },
      // Described in the metadata; the issuer answers /userinfo itself (its access tokens are JWTs).
      userinfo: { enabled: true },
      rpInitiatedLogout: USER_LOGOUT,
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // RFC 8707 2: with one registered audience the resource may be omitted; with several it must be named.
        defaultResource: async (_ctx: KoaContext, client: Client, oneOf?: string[]) => {
          if (oneOf) return oneOf;
          const { audiences } = tokenProfileOf(client);
          if (audiences.length === 1) return audiences[0];
          throw new errors.InvalidTarget(
            audiences.length === 0
              ? 'this client has no audience to get tokens for'
              : 'this client has several audiences: name one with the resource parameter',
          );
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx: KoaContext, resource: string, client: Client) => {
          if (isUserFlow(ctx))
            return userResourceServerInfo(
              ctx,
              resource,
              client,
              setup.signingKey(),
              setup.tokenLifetimeSeconds,
            );
          const profile = tokenProfileOf(client);
          if (!profile.audiences.includes(resource))
            throw new errors.InvalidTarget('this client may not get tokens for the requested resource');
          const requested = requestedScopes(ctx);
          if (requested === undefined) {
            // RFC 6749 3.3: without a scope parameter, the client's registered scopes are the default.
            if (profile.scopes.length > 0 && ctx.oidc?.params)
              ctx.oidc.params.scope = profile.scopes.join(' ');
          } else {
            const denied = requested.find((s) => !profile.scopes.includes(s));
            if (denied !== undefined)
              throw new errors.InvalidScope('requested scope is not allowed for this client', denied);
          }
          const key = setup.signingKey();
          return {
            audience: resource,
            scope: profile.scopes.join(' '),
            accessTokenTTL: setup.tokenLifetimeSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: key.alg, kid: key.kid } },
          };
        },
      },
    },
    extraTokenClaims: async (ctx: KoaContext, token: IssuedToken) => {
      // An exchanged token: the subject token's roles (never more) and the chain of actors.
      const exchanged = setup.tokenExchange.claimsOf(token);
      if (exchanged !== undefined) return { roles: [...exchanged.roles], act: exchanged.act };
      if ('accountId' in token && typeof token.accountId === 'string')
        return userTokenClaims(ctx, token, setup.users);
      if (token.client === undefined) return undefined;
      const profile = tokenProfileOf(token.client);
      // oidc-provider writes the registered claims (iss, sub, aud, exp, iat, jti, client_id, scope)
      // after these, so a custom claim can never replace one of them.
      return { ...profile.claims, roles: [...profile.roles] };
    },
  });

  provider.registerGrantType(
    TOKEN_EXCHANGE_GRANT,
    setup.tokenExchange.handle,
    TOKEN_EXCHANGE_PARAMETERS,
    TOKEN_EXCHANGE_REPEATABLE,
  );

  // Stored secrets are hashes (issue #631 upstream: the prototype method is the extension point).
  provider.Client.prototype.compareClientSecret = function compareHashedSecret(this: Client, actual: string) {
    return typeof this.clientSecret === 'string' && verifyClientSecret(actual, this.clientSecret);
  };

  provider.use(async (ctx, next) => {
    try {
      await next();
      await adjustAnswer(ctx, setup);
      await pacePolling(ctx, setup.deviceFlow);
      await limitCors(ctx, setup);
    } catch (err) {
      if (isDeviceFormWithoutSession(ctx, err)) return answerDeviceFormWithoutSession(ctx);
      if (!isStoreUnavailable(err)) throw err;
      ctx.state.storeUnavailable = true;
    }
    if (ctx.state.storeUnavailable === true && (ctx.status >= 500 || ctx.body === undefined)) {
      // Nothing was decided: the client retries, rather than reading a failure into a 500.
      ctx.status = 503;
      ctx.set('retry-after', '1');
      ctx.set('cache-control', 'no-store');
      ctx.body = {
        error: 'temporarily_unavailable',
        error_description: 'the token service cannot reach its store; retry shortly',
      };
    }
  });
  provider.on('client_credentials.issued', setup.onIssued);
  provider.on('access_token.issued', setup.onIssued);
  provider.on('server_error', (ctx: KoaContext, err: unknown) => {
    if (isStoreUnavailable(err)) ctx.state.storeUnavailable = true;
    setup.onServerError(err);
  });
  return provider;
}

/**
 * A verification form posted by a browser without a session (its cookie gone or never there: an
 * old tab, or a forged post): oidc-provider (9.13) refuses it, renders the code page with a new
 * CSRF value, then fails to save the session it has just made ("persist can only be called on
 * previously persisted Sessions"), a 500. What the user needs is the page anew.
 */
function isDeviceFormWithoutSession(ctx: KoaContext, err: unknown): boolean {
  const oidc = ctx.oidc as (OidcContext & { session?: { new?: boolean } }) | undefined;
  return (
    err instanceof TypeError &&
    (oidc?.route === 'code_verification' || oidc?.route === 'device_resume') &&
    oidc.session?.new === true
  );
}

function answerDeviceFormWithoutSession(ctx: KoaContext): void {
  ctx.status = 400;
  for (const [name, value] of Object.entries(pageHeaders())) ctx.set(name, value);
  ctx.body = renderMessagePage(
    'Page expired',
    `This page has expired. Open ${DEVICE_ROUTES.codeVerification} on this issuer again and enter the code your device shows.`,
  );
}

/**
 * oidc-provider allows the request's Origin before it knows the client, and only checks it
 * (clientBasedCORS) once the client is found: an answer given before that (an unknown client, a
 * malformed request) would carry CORS headers for any origin. Here every answer of these routes
 * keeps them only for an origin of its client, or, when no client is known, of some client.
 */
async function limitCors(ctx: KoaContext, setup: ProviderSetup): Promise<void> {
  const route = ctx.oidc?.route;
  if (route === undefined || !CLIENT_CORS_ROUTES.has(route)) return;
  const origin = ctx.get('origin');
  if (origin === '' || ctx.response.get('access-control-allow-origin') === '') return;
  const client = ctx.oidc?.client;
  const allowed =
    client === undefined
      ? await setup.isWebOrigin(origin)
      : tokenProfileOf(client).webOrigins.includes(origin);
  if (allowed) return;
  ctx.remove('access-control-allow-origin');
  ctx.remove('access-control-expose-headers');
}

/** What the issuer changes in oidc-provider's answers once it has made them. */
async function adjustAnswer(ctx: KoaContext, setup: ProviderSetup): Promise<void> {
  {
    const route = ctx.oidc?.route;
    if (route === 'discovery' && ctx.status === 200) {
      ctx.body = describeIssuer(ctx.body as Record<string, unknown>);
    } else if (route === 'jwks' && ctx.status === 200) {
      ctx.set('cache-control', `public, max-age=${setup.jwksMaxAgeSeconds}`);
    } else if (route === 'introspection' || route === 'revocation') {
      await answerForJwtAccessToken(ctx, route, setup.ownTokens);
      // Answers about tokens are never cached (oidc-provider sets this for introspection only).
      ctx.set('cache-control', 'no-store');
    }
  }
}

/**
 * oidc-provider answers `unsupported_token_type` for a JWT at these endpoints, after it has
 * authenticated the caller; only then, and only for that answer, the issuer answers itself.
 */
async function answerForJwtAccessToken(
  ctx: KoaContext,
  route: 'introspection' | 'revocation',
  own: OwnTokenContext,
): Promise<void> {
  const body = ctx.body as { error?: unknown } | undefined;
  const client = ctx.oidc?.client;
  const token = ctx.oidc?.params?.token;
  if (ctx.status !== 400 || body?.error !== 'unsupported_token_type' || !client || typeof token !== 'string')
    return;
  if (route === 'introspection') {
    ctx.status = 200;
    ctx.body = await introspectOwnToken(own, token);
    return;
  }
  const outcome = await revokeOwnToken(own, token, client.clientId);
  if (outcome === 'other-client') {
    const err = new errors.InvalidRequest('client is not authorized to revoke the presented token');
    ctx.status = err.statusCode;
    ctx.body = { error: err.error, error_description: err.error_description };
    return;
  }
  // RFC 7009 2.2: 200 whether the token was revoked now, before, or was invalid.
  ctx.status = 200;
  ctx.body = '';
}
