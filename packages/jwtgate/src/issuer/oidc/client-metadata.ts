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
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    jwtgate_scopes: [...client.scopes],
    jwtgate_roles: [...client.roles],
    jwtgate_audiences: [...client.audiences],
    jwtgate_claims: { ...client.claims },
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
