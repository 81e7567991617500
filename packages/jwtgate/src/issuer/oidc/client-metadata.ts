import type { ClientMetadata } from 'oidc-provider';
import type { ClientRecord, TokenExchangePolicy } from '../../store/types.ts';
import { DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT } from './grant-types.ts';

/** Client metadata jwtgate adds to oidc-provider's (declared as extraClientMetadata). */
export const EXTRA_CLIENT_METADATA = [
  'jwtgate_scopes',
  'jwtgate_roles',
  'jwtgate_audiences',
  'jwtgate_claims',
  'jwtgate_web_origins',
  'jwtgate_token_exchange',
] as const;

/** What the issuer reads back from an oidc-provider client: the ClientRecord's token contents. */
export interface TokenProfile {
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
  readonly webOrigins: readonly string[];
  readonly tokenExchange: TokenExchangePolicy | null;
}

/**
 * A stored client as oidc-provider metadata. `client_secret` carries the stored hash, never a
 * secret: the issuer replaces oidc-provider's secret comparison with a hash check, and enables
 * nothing that would use the secret as a key (client_secret_jwt, HS-signed or symmetrically
 * encrypted responses). A public client (`none`) has no secret at all.
 */
export function toClientMetadata(client: ClientRecord): ClientMetadata {
  return {
    client_id: client.id,
    client_name: client.name,
    application_type: client.applicationType ?? 'web',
    ...(client.secretHash !== null &&
    (client.authMethod === 'client_secret_basic' || client.authMethod === 'client_secret_post')
      ? { client_secret: client.secretHash }
      : {}),
    token_endpoint_auth_method: client.authMethod,
    ...(client.authMethod === 'private_key_jwt' && client.jwks !== null ? { jwks: client.jwks } : {}),
    ...userFlowMetadata(client),
    jwtgate_scopes: [...client.scopes],
    jwtgate_roles: [...client.roles],
    jwtgate_audiences: [...client.audiences],
    jwtgate_claims: { ...client.claims },
    jwtgate_web_origins: [...(client.webOrigins ?? [])],
    jwtgate_token_exchange: client.tokenExchange ?? null,
  };
}

/** Grants oidc-provider may run for a client; the record's other grant types are ignored. */
const SUPPORTED_GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  DEVICE_CODE_GRANT,
  TOKEN_EXCHANGE_GRANT,
];
/** Grants that need no redirect: the authorization code flow is the only one that redirects. */
const WITHOUT_REDIRECT = new Set(['client_credentials', DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT]);

/**
 * The user flows of a record: the authorization code flow when it has redirect URIs (compared
 * exactly by oidc-provider, but for the port of a native app's loopback redirect, RFC 8252 7.3),
 * also accepted after logout; the device flow; refresh tokens with either.
 */
function userFlowMetadata(client: ClientRecord): Record<string, unknown> {
  const grantTypes = SUPPORTED_GRANT_TYPES.filter((g) => client.grantTypes.includes(g));
  const code = grantTypes.includes('authorization_code') && client.redirectUris.length > 0;
  const device = grantTypes.includes(DEVICE_CODE_GRANT);
  return {
    grant_types: grantTypes.filter(
      (g) =>
        WITHOUT_REDIRECT.has(g) ||
        (g === 'authorization_code' && code) ||
        (g === 'refresh_token' && (code || device)),
    ),
    response_types: code ? ['code'] : [],
    redirect_uris: code ? [...client.redirectUris] : [],
    ...(code ? { post_logout_redirect_uris: [...client.redirectUris] } : {}),
  };
}

function strings(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The token contents of an oidc-provider client built by toClientMetadata(). */
export function tokenProfileOf(client: Record<string, unknown>): TokenProfile {
  const claims = client.jwtgate_claims;
  const exchange = client.jwtgate_token_exchange as Record<string, unknown> | null | undefined;
  return {
    scopes: strings(client.jwtgate_scopes),
    roles: strings(client.jwtgate_roles),
    audiences: strings(client.jwtgate_audiences),
    claims:
      claims !== null && typeof claims === 'object' && !Array.isArray(claims)
        ? (claims as Record<string, unknown>)
        : {},
    webOrigins: strings(client.jwtgate_web_origins),
    tokenExchange:
      exchange !== null && typeof exchange === 'object'
        ? { audiences: strings(exchange.audiences), issuers: strings(exchange.issuers) }
        : null,
  };
}
