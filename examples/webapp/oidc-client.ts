// The web app's side of OpenID Connect, all of it done by openid-client v6 (an OpenID Certified
// relying party library): discovery, the authorization request with PKCE (S256), state and
// nonce, the code exchange with ID token validation, refresh, userinfo and the logout URL.
import * as oauth from 'openid-client';
import type { SessionTokens, SessionUser } from './sessions.ts';

export interface OidcSettings {
  readonly issuerUrl: URL;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: URL;
  readonly postLogoutRedirectUri: URL;
  readonly scope: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Plain http is for an issuer on this machine only (a development setup, as in the tests). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}

function toTokens(
  r: oauth.TokenEndpointResponse & oauth.TokenEndpointResponseHelpers,
  previous?: SessionTokens,
): SessionTokens {
  return {
    accessToken: r.access_token,
    // A refresh answer may omit what did not change (RFC 6749 6); this issuer always rotates.
    refreshToken: r.refresh_token ?? previous?.refreshToken,
    idToken: r.id_token ?? previous?.idToken,
    expiresAt: Date.now() + (r.expiresIn() ?? 60) * 1000,
  };
}

/**
 * Discovers the issuer and returns the flows the web app runs. A confidential client:
 * client_secret_basic at the token endpoint.
 *
 * @example
 * const oidc = await createOidcClient({ issuerUrl: new URL('https://id.example'), clientId: 'webapp', ... });
 * const { url, pending } = await oidc.startLogin();
 */
export async function createOidcClient(settings: OidcSettings) {
  const insecure = isLoopbackHttp(settings.issuerUrl);
  const config = await oauth.discovery(
    settings.issuerUrl,
    settings.clientId,
    undefined,
    oauth.ClientSecretBasic(settings.clientSecret),
    insecure ? { execute: [oauth.allowInsecureRequests] } : undefined,
  );
  config.timeout = 10;

  return {
    issuerOrigin: settings.issuerUrl.origin,

    /** The authorization URL, and what the callback must check against (kept in the session). */
    async startLogin() {
      const pending = {
        codeVerifier: oauth.randomPKCECodeVerifier(),
        state: oauth.randomState(),
        nonce: oauth.randomNonce(),
      };
      const url = oauth.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri.href,
        scope: settings.scope,
        code_challenge: await oauth.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url, pending };
    },

    /**
     * Redeems the code of the callback: openid-client checks state, the issuer's `iss`, the PKCE
     * verifier, the ID token (signature, iss, aud, exp, nonce). The profile comes from /userinfo
     * (the issuer puts only `sub` in the ID token; scope-released claims are at /userinfo).
     */
    async finishLogin(
      query: URLSearchParams,
      pending: { readonly state: string; readonly nonce: string; readonly codeVerifier: string },
    ): Promise<{ tokens: SessionTokens; user: SessionUser }> {
      // The current URL must be the registered redirect URI exactly, plus the callback's query.
      const current = new URL(settings.redirectUri);
      current.search = query.toString();
      const r = await oauth.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = r.claims();
      if (claims === undefined) throw new Error('no ID token in the token response');
      const info = await oauth.fetchUserInfo(config, r.access_token, claims.sub);
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      return {
        tokens: toTokens(r),
        user: {
          sub: claims.sub,
          name: text(claims.name) ?? text(info.name),
          email: text(claims.email) ?? text(info.email),
        },
      };
    },

    /** A new token pair; the refresh token is rotated by the issuer (the old one is spent). */
    async refresh(tokens: SessionTokens): Promise<SessionTokens> {
      if (tokens.refreshToken === undefined) throw new Error('this session has no refresh token');
      return toTokens(await oauth.refreshTokenGrant(config, tokens.refreshToken), tokens);
    },

    /** RP-initiated logout: the issuer asks the user to confirm, then sends them back. */
    logoutUrl(idToken: string | undefined): URL {
      return oauth.buildEndSessionUrl(config, {
        ...(idToken === undefined ? {} : { id_token_hint: idToken }),
        post_logout_redirect_uri: settings.postLogoutRedirectUri.href,
      });
    },
  };
}

export type OidcClient = Awaited<ReturnType<typeof createOidcClient>>;

/** An OAuth error answered by the issuer (invalid_grant ...), or how the request failed otherwise. */
export function describeOAuthError(err: unknown): string {
  if (err instanceof oauth.ResponseBodyError)
    return `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`;
  if (err instanceof oauth.AuthorizationResponseError)
    return `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
