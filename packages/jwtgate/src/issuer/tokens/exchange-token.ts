import {
  createVerifier,
  type JwtClaims,
  JwtGateError,
  type ProviderOptions,
  readActors,
  type Verifier,
} from '@jwtgate/verify';
import { decodeJwt } from 'jose';
import { type Client, errors, type KoaContext, type OIDCProviderError } from 'oidc-provider';
import type { Store } from '../../store/types.ts';
import { SIGNING_ALGORITHMS } from '../keys/generate-signing-key.ts';
import { tokenProfileOf } from '../oidc/client-metadata.ts';
import { ACCESS_TOKEN_TYPE } from '../oidc/grant-types.ts';
import type { OwnTokenVerifier } from './verify-own-token.ts';

// Token exchange (RFC 8693) for a service calling another on a user's behalf: the service
// presents the user's access token (the subject token) and authenticates as itself; it gets a
// token for a downstream audience that keeps the user as `sub` and names the service in `act`
// (4.1), nesting the subject token's own `act` for longer chains. What it may exchange to, and
// whose tokens it may present, is the client's policy. A registered grant type of oidc-provider:
// client authentication, the token endpoint's errors and the signing of the JWT are oidc-provider's.

/** RFC 8693 2.1: the request parameters; resource and audience may each be given several times. */
export const TOKEN_EXCHANGE_PARAMETERS = [
  'resource',
  'audience',
  'scope',
  'requested_token_type',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
] as const;
export const TOKEN_EXCHANGE_REPEATABLE = ['resource', 'audience'] as const;

/** The oidc-provider `gty` of an exchanged token, which extraTokenClaims recognises. */
export const EXCHANGE_GTY = 'token_exchange';

/** What an exchanged access token carries besides the registered claims. */
export interface ExchangeClaims {
  readonly act: Readonly<Record<string, unknown>>;
  readonly roles: readonly string[];
}

export interface TokenExchangeSetup {
  readonly issuer: string;
  readonly store: Store;
  /** Access tokens of this issuer, with the keys published now. */
  readonly ownTokens: () => OwnTokenVerifier;
  /** The lifetime of access tokens: an exchanged one lives at most this long, and never past its subject token. */
  readonly tokenLifetimeSeconds: number;
  readonly signingKey: () => { readonly alg: string; readonly kid: string };
  /** Milliseconds since the epoch (the verifier's clock). */
  readonly now: () => number;
}

export interface TokenExchange {
  /** The grant type handler registered with oidc-provider. */
  handle(ctx: KoaContext): Promise<void>;
  /** The act and roles of a token this exchange is issuing (for extraTokenClaims); undefined for any other. */
  claimsOf(token: object): ExchangeClaims | undefined;
}

function invalidGrant(description: string): OIDCProviderError {
  const err = new errors.InvalidGrant();
  // oidc-provider's InvalidGrant has a fixed description; this one says which check failed.
  Object.assign(err, { error_description: description });
  return err;
}

function values(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

/** A verifier for access tokens of a foreign issuer (keys by its discovery document), any audience. */
function foreignVerifier(issuer: string, now: () => number): (token: string) => Promise<JwtClaims> {
  const byAudience = new Map<string, Verifier>();
  return async (token) => {
    // As for the issuer's own tokens: the audience only picks the verifier, which checks it.
    const aud = decodeJwt(token).aud;
    const first = Array.isArray(aud) ? aud[0] : aud;
    if (typeof first !== 'string' || first === '') throw new Error('no audience');
    let verifier = byAudience.get(first);
    if (verifier === undefined) {
      if (byAudience.size >= 64) byAudience.clear();
      const policy: ProviderOptions = {
        issuer,
        audiences: [first],
        algorithms: [...SIGNING_ALGORITHMS, 'ES384', 'ES512', 'RS384', 'RS512', 'PS384', 'PS512'],
        requireSub: true,
      };
      verifier = createVerifier({ providers: { subject: policy }, now });
      byAudience.set(first, verifier);
    }
    return (await verifier.verify(token)).claims;
  };
}

/**
 * The token exchange grant. Checks, in order: the request's token types and target; the subject
 * token's issuer (the policy's, this issuer by default), signature, lifetime and revocation, with
 * @jwtgate/verify; its user (ours: still there and enabled) and its own `may_act`; the scope (only
 * narrower). Refusals: invalid_request (malformed), invalid_target (an audience outside the
 * policy), invalid_scope (a scope the subject token does not carry), invalid_grant (the subject
 * token is not acceptable: expired, revoked, unverifiable, foreign).
 *
 * @example
 * const exchange = createTokenExchange({ issuer, store, ownTokens: () => verifier, tokenLifetimeSeconds: 300, signingKey, now });
 * provider.registerGrantType(TOKEN_EXCHANGE_GRANT, exchange.handle, TOKEN_EXCHANGE_PARAMETERS, TOKEN_EXCHANGE_REPEATABLE);
 */
export function createTokenExchange(setup: TokenExchangeSetup): TokenExchange {
  const issued = new WeakMap<object, ExchangeClaims>();
  const foreign = new Map<string, (token: string) => Promise<JwtClaims>>();

  const verifySubject = async (token: string, accepted: readonly string[]): Promise<JwtClaims> => {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw invalidGrant('the subject token is not a JWT');
    }
    if (typeof iss !== 'string' || !accepted.includes(iss))
      throw invalidGrant("the subject token's issuer is not one this client may present");
    try {
      if (iss === setup.issuer) return await setup.ownTokens().verify(token);
      let verify = foreign.get(iss);
      if (verify === undefined) {
        verify = foreignVerifier(iss, setup.now);
        foreign.set(iss, verify);
      }
      return await verify(token);
    } catch (err) {
      const code = err instanceof JwtGateError ? err.code : undefined;
      if (code === 'ERR_KEY_SOURCE_UNAVAILABLE') throw err;
      throw invalidGrant(
        code === 'ERR_TOKEN_EXPIRED' ? 'the subject token has expired' : 'the subject token is not valid',
      );
    }
  };

  return {
    claimsOf: (token) => issued.get(token),

    async handle(ctx) {
      const oidc = ctx.oidc as NonNullable<KoaContext['oidc']> & { client: Client };
      const params = oidc.params ?? {};
      const client = oidc.client;
      const policy = tokenProfileOf(client).tokenExchange;
      // The grant type is allowed for the client (oidc-provider checked); its policy says for what.
      if (policy === null || client.clientAuthMethod === 'none')
        throw new errors.UnauthorizedClient('this client may not exchange tokens');

      const subjectToken = params.subject_token;
      if (typeof subjectToken !== 'string' || subjectToken === '')
        throw new errors.InvalidRequest('missing required parameter subject_token');
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE)
        throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
      if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE)
        throw new errors.InvalidRequest(`only ${ACCESS_TOKEN_TYPE} can be requested`);
      // The authenticated client is the actor (RFC 8693 1.1, delegation); a separate actor token is not taken.
      if (params.actor_token !== undefined || params.actor_token_type !== undefined)
        throw new errors.InvalidRequest(
          'actor_token is not supported: the authenticated client is the actor',
        );

      // RFC 8693 2.1: resource and audience both name the target; this issues one token, for one.
      const targets = [...new Set([...values(params.resource), ...values(params.audience)])];
      if (targets.length > 1)
        throw new errors.InvalidTarget('name one audience (resource or audience) per exchange');
      let target = targets[0];
      if (target === undefined) {
        if (policy.audiences.length !== 1)
          throw new errors.InvalidTarget('this client may exchange to several audiences: name one');
        target = policy.audiences[0] as string;
      }
      if (!policy.audiences.includes(target))
        throw new errors.InvalidTarget('this client may not exchange tokens for the requested audience');

      const accepted = policy.issuers.length === 0 ? [setup.issuer] : policy.issuers;
      const subject = await verifySubject(subjectToken, accepted);
      const sub = subject.sub as string;
      if (subject.iss === setup.issuer) {
        if (typeof subject.jti !== 'string' || (await setup.store.revocations.isRevoked(subject.jti)))
          throw invalidGrant('the subject token has been revoked');
        const user = await setup.store.users.get(sub);
        // A user's token only: a service's own token (sub = its client id) is not someone to act for.
        if (user === undefined || user.disabled)
          throw invalidGrant('the subject token does not name an enabled user');
        const origin = await setup.store.clients.get(String(subject.client_id));
        if (origin === undefined || origin.disabled)
          throw invalidGrant('the client the subject token was issued to is removed or disabled');
      }
      // RFC 8693 4.4: a subject token may say who may act for it.
      const mayAct = subject.may_act as { sub?: unknown } | undefined;
      if (mayAct !== undefined && mayAct?.sub !== client.clientId)
        throw invalidGrant('the subject token does not allow this client to act for it (may_act)');
      let prior: JwtClaims['act'];
      try {
        readActors(subject);
        prior = subject.act;
      } catch {
        throw invalidGrant("the subject token's act claim is malformed");
      }

      const granted = typeof subject.scope === 'string' ? subject.scope.split(' ').filter(Boolean) : [];
      const requested =
        typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : undefined;
      const widened = requested?.find((s) => !granted.includes(s));
      if (widened !== undefined)
        throw new errors.InvalidScope('the subject token does not carry the requested scope', widened);
      const scope = (requested ?? granted).join(' ');
      const roles = Array.isArray(subject.roles)
        ? subject.roles.filter((r): r is string => typeof r === 'string')
        : [];

      const nowSeconds = Math.floor(setup.now() / 1000);
      const expiresIn = Math.min(setup.tokenLifetimeSeconds, (subject.exp as number) - nowSeconds);
      if (expiresIn < 1) throw invalidGrant('the subject token has expired');
      const key = setup.signingKey();
      const provider = oidc.provider as unknown as {
        AccessToken: new (properties: Record<string, unknown>) => { save(): Promise<string> };
      };
      const token = new provider.AccessToken({
        accountId: sub,
        client,
        gty: EXCHANGE_GTY,
        scope: scope === '' ? undefined : scope,
        expiresIn,
        resourceServer: {
          audience: target,
          scope,
          accessTokenTTL: expiresIn,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: key.alg, kid: key.kid } },
          identifier: () => target,
        },
      });
      issued.set(token, {
        act: { sub: client.clientId, ...(prior === undefined ? {} : { act: prior }) },
        roles,
      });
      const value = await token.save();
      ctx.body = {
        access_token: value,
        // RFC 8693 2.2.1
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: expiresIn,
        ...(scope === '' ? {} : { scope }),
      };
    },
  };
}
