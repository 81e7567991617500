import type { ClientMetadata } from 'oidc-provider';
import type { ClientRecord } from '../../store/types.ts';

/** Client metadata jwtgate adds to oidc-provider's (declared as extraClientMetadata). */
export const EXTRA_CLIENT_METADATA = [
  'jwtgate_scopes',
  'jwtgate_roles',
  'jwtgate_audiences',
  'jwtgate_claims',
] as const;

/** What the issuer reads back from an oidc-provider client: the ClientRecord's token contents. */
export interface TokenProfile {
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * A stored client as oidc-provider metadata: a client-credentials-only client (no redirect URIs,
 * no response types). `client_secret` carries the stored hash, never a secret: the issuer replaces
 * oidc-provider's secret comparison with a hash check, and enables nothing that would use the
 * secret as a key (client_secret_jwt, HS-signed or symmetrically encrypted responses).
 */
export function toClientMetadata(client: ClientRecord): ClientMetadata {
  return {
    client_id: client.id,
    client_name: client.name,
    ...(client.secretHash !== null && client.authMethod !== 'private_key_jwt'
      ? { client_secret: client.secretHash }
      : {}),
    token_endpoint_auth_method: client.authMethod,
    ...(client.authMethod === 'private_key_jwt' && client.jwks !== null ? { jwks: client.jwks } : {}),
    ...userFlowMetadata(client),
    jwtgate_scopes: [...client.scopes],
    jwtgate_roles: [...client.roles],
    jwtgate_audiences: [...client.audiences],
    jwtgate_claims: { ...client.claims },
  };
}

/** Grants oidc-provider may run for a client; the record's other grant types are ignored. */
const SUPPORTED_GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'];

/**
 * The authorization code flow, for a record whose grant types include it: its redirect URIs
 * (compared exactly by oidc-provider), also accepted after logout. Records without it stay
 * client-credentials-only. There are no public clients: every record authenticates.
 */
function userFlowMetadata(client: ClientRecord): Record<string, unknown> {
  const grantTypes = SUPPORTED_GRANT_TYPES.filter((g) => client.grantTypes.includes(g));
  const code = grantTypes.includes('authorization_code') && client.redirectUris.length > 0;
  return {
    grant_types: code ? grantTypes : grantTypes.filter((g) => g === 'client_credentials'),
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
  return {
    scopes: strings(client.jwtgate_scopes),
    roles: strings(client.jwtgate_roles),
    audiences: strings(client.jwtgate_audiences),
    claims:
      claims !== null && typeof claims === 'object' && !Array.isArray(claims)
        ? (claims as Record<string, unknown>)
        : {},
  };
}
