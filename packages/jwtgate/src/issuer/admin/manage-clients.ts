import { generateClientSecret, hashClientSecret } from '../../store/hash-secret.ts';
import type { ClientRecord, Store, TokenExchangePolicy } from '../../store/types.ts';
import { recordAudit } from '../audit.ts';
import { IssuerError } from '../errors.ts';
import { DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT } from '../oidc/grant-types.ts';
import { checkClientJwks } from './check-client-jwks.ts';
import { isIssuerUrl, isNativeRedirectUri, isWebOrigin, isWebRedirectUri } from './client-uris.ts';

export type ClientAuthMethod = ClientRecord['authMethod'];
/** `none` makes a public client (RFC 6749 2.1): a browser or native app, which cannot keep a secret. */
export const AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
];
export type ApplicationType = 'web' | 'native';
export const APPLICATION_TYPES: readonly ApplicationType[] = ['web', 'native'];
/** DPoP (RFC 9449): `allowed` binds a token when the request has a proof; `required` refuses one without. */
export type ClientDpop = 'allowed' | 'required';
export const DPOP_MODES: readonly ClientDpop[] = ['allowed', 'required'];

/** What an operator gives to register a client (CLI flags or admin API JSON). */
export interface ClientSpec {
  readonly id: string;
  readonly name?: string;
  readonly authMethod?: ClientAuthMethod;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
  readonly audiences?: readonly string[];
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Public keys, for private_key_jwt. */
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
  /** Default client_credentials (authorization_code for public clients); authorization_code needs redirect URIs. */
  readonly grantTypes?: readonly string[];
  readonly redirectUris?: readonly string[];
  /** Default web. A native app may use loopback redirects on any port and private-use schemes (RFC 8252). */
  readonly applicationType?: ApplicationType;
  /** A public browser app's origins, answered with CORS by the token, revocation and userinfo endpoints. */
  readonly webOrigins?: readonly string[];
  /** Token exchange (RFC 8693): the audiences it may exchange a user's token for, the issuers it accepts. */
  readonly tokenExchange?: {
    readonly audiences?: readonly string[];
    readonly issuers?: readonly string[];
  } | null;
  /** Default allowed: a token request with a DPoP proof gets a bound token; required: every one needs a proof. */
  readonly dpop?: ClientDpop;
}

/** A client as shown to operators: everything but the secret hash. */
export interface ClientView {
  readonly id: string;
  readonly name: string;
  readonly auth_method: ClientAuthMethod;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
  readonly jwks: { keys: Record<string, unknown>[] } | null;
  readonly grant_types: readonly string[];
  readonly redirect_uris: readonly string[];
  readonly application_type: ApplicationType;
  readonly web_origins: readonly string[];
  readonly token_exchange: TokenExchangePolicy | null;
  readonly dpop: ClientDpop;
  readonly disabled: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

/** Claims the issuer sets itself (RFC 9068 2.2, RFC 7519 4.1, RFC 8693 4); a client's custom claims may not use them. */
export const RESERVED_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'client_id',
  'scope',
  'roles',
  'cnf',
  'act',
  'may_act',
  'authorization_details',
  'auth_time',
  'acr',
  'amr',
]);

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;
// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function toClientView(c: ClientRecord): ClientView {
  return {
    id: c.id,
    name: c.name,
    auth_method: c.authMethod,
    scopes: c.scopes,
    roles: c.roles,
    audiences: c.audiences,
    claims: c.claims,
    jwks: c.jwks,
    grant_types: c.grantTypes,
    redirect_uris: c.redirectUris,
    application_type: c.applicationType ?? 'web',
    web_origins: c.webOrigins ?? [],
    token_exchange: c.tokenExchange ?? null,
    dpop: c.dpop ?? 'allowed',
    disabled: c.disabled,
    created_at: new Date(c.createdAt).toISOString(),
    updated_at: new Date(c.updatedAt).toISOString(),
  };
}

function invalid(message: string): IssuerError {
  return new IssuerError('ERR_CLIENT_INVALID', message);
}

function stringList(value: unknown, what: string, check?: (s: string) => boolean): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(`${what}: expected a list of strings`);
  const out: string[] = [];
  for (const v of value) {
    if (typeof v !== 'string' || v === '' || (check && !check(v)))
      throw invalid(`${what}: "${String(v)}" is not valid`);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

export const GRANT_TYPES: readonly string[] = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  DEVICE_CODE_GRANT,
  TOKEN_EXCHANGE_GRANT,
];
/** Short names accepted for the URN grant types (CLI flags, console). */
const GRANT_ALIASES: Readonly<Record<string, string>> = {
  device_code: DEVICE_CODE_GRANT,
  token_exchange: TOKEN_EXCHANGE_GRANT,
};
/** Grants that sign a user in: what a public client is for. */
const USER_GRANTS = ['authorization_code', DEVICE_CODE_GRANT];
/** Grants a public client may not have: it cannot authenticate (RFC 6749 4.4, RFC 8693 2.1). */
const CONFIDENTIAL_GRANTS = ['client_credentials', TOKEN_EXCHANGE_GRANT];

function isResourceIndicator(value: string): boolean {
  // RFC 8707 2: an absolute URI without a fragment.
  const url = URL.parse(value);
  return url !== null && !value.includes('#');
}

const MAX_CLAIM_DEPTH = 32;

/**
 * What is wrong with a custom claim value's shape, if anything: a member named `__proto__` at any
 * depth (JSON.parse makes it an own member; copied by Object.assign or a merge it replaces the
 * prototype), or nesting too deep to walk safely.
 */
function claimShapeProblem(value: unknown, depth = 0): string | null {
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_CLAIM_DEPTH) return `nested more than ${MAX_CLAIM_DEPTH} levels deep`;
  if (!Array.isArray(value) && Object.hasOwn(value, '__proto__'))
    return '"__proto__" cannot be a claim or member name';
  for (const v of Object.values(value)) {
    const problem = claimShapeProblem(v, depth + 1);
    if (problem !== null) return problem;
  }
  return null;
}

/** Validates a client definition; every problem names the field and what is expected. */
export function checkClientSpec(
  spec: ClientSpec,
): Omit<ClientRecord, 'createdAt' | 'updatedAt' | 'secretHash'> {
  if (typeof spec.id !== 'string' || !CLIENT_ID.test(spec.id))
    throw invalid('id: 1-128 characters from A-Z a-z 0-9 . _ ~ -, starting with a letter or digit');
  const authMethod = spec.authMethod ?? 'client_secret_basic';
  if (!AUTH_METHODS.includes(authMethod))
    throw invalid(`auth method: expected one of ${AUTH_METHODS.join(', ')}`);
  const publicClient = authMethod === 'none';
  const applicationType = spec.applicationType ?? 'web';
  if (!APPLICATION_TYPES.includes(applicationType))
    throw invalid(`application type: expected ${APPLICATION_TYPES.join(' or ')}`);
  const audiences = stringList(spec.audiences, 'audiences', isResourceIndicator);
  if (audiences.length === 0)
    throw invalid('audiences: at least one, an absolute URI such as https://billing.example (RFC 8707)');
  const scopes = stringList(spec.scopes, 'scopes', (s) => SCOPE_TOKEN.test(s));
  const roles = stringList(spec.roles, 'roles');
  const claims = spec.claims ?? {};
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims))
    throw invalid('claims: expected an object');
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.has(name))
      throw invalid(`claims: "${name}" is set by the issuer and cannot be a custom claim`);
  }
  const shape = claimShapeProblem(claims);
  if (shape !== null) throw invalid(`claims: ${shape}`);
  let jwks: ClientRecord['jwks'] = null;
  if (authMethod === 'private_key_jwt') {
    jwks = checkClientJwks(spec.jwks);
  } else if (spec.jwks !== undefined) {
    throw invalid(`jwks: only for private_key_jwt, not ${authMethod}`);
  }
  const grantTypes = stringList(
    (spec.grantTypes ?? [publicClient ? 'authorization_code' : 'client_credentials']).map(
      (g) => GRANT_ALIASES[g] ?? g,
    ),
    'grant types',
    (g) => GRANT_TYPES.includes(g),
  );
  if (grantTypes.length === 0) throw invalid(`grant types: at least one of ${GRANT_TYPES.join(', ')}`);
  const redirectUris = stringList(
    spec.redirectUris,
    'redirect URIs',
    applicationType === 'native' ? isNativeRedirectUri : isWebRedirectUri,
  );
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0)
    throw invalid(
      applicationType === 'native'
        ? 'redirect URIs: authorization_code needs at least one (http://127.0.0.1/..., http://[::1]/..., a reverse-domain scheme such as com.example.app:/callback, or https)'
        : 'redirect URIs: authorization_code needs at least one (https, or http to loopback)',
    );
  if (grantTypes.includes('refresh_token') && !USER_GRANTS.some((g) => grantTypes.includes(g)))
    throw invalid(`grant types: refresh_token only comes with authorization_code or ${DEVICE_CODE_GRANT}`);
  if (publicClient) {
    const confidential = grantTypes.find((g) => CONFIDENTIAL_GRANTS.includes(g));
    if (confidential !== undefined)
      throw invalid(
        `grant types: ${confidential} needs client authentication; a public client (none) has none`,
      );
  }
  const webOrigins = [...stringList(spec.webOrigins, 'web origins', isWebOrigin)].sort();
  if (webOrigins.length > 0 && !(publicClient && applicationType === 'web'))
    throw invalid(
      'web origins: only for a public browser app (auth method none, application type web); a confidential client calls the token endpoint from its server',
    );
  const tokenExchange = checkTokenExchange(spec.tokenExchange ?? null, grantTypes);
  const dpop = spec.dpop ?? 'allowed';
  if (!DPOP_MODES.includes(dpop)) throw invalid(`dpop: expected ${DPOP_MODES.join(' or ')}`);
  // Exchanged tokens are Bearer tokens (RFC 9449 5 lets the server decline to bind): a client
  // that must have only bound tokens cannot have them.
  if (dpop === 'required' && grantTypes.includes(TOKEN_EXCHANGE_GRANT))
    throw invalid('dpop: required cannot come with token_exchange, whose tokens are not DPoP-bound');
  return {
    id: spec.id,
    name: spec.name ?? spec.id,
    authMethod,
    jwks,
    grantTypes,
    redirectUris,
    scopes,
    roles,
    audiences,
    claims: { ...claims },
    disabled: false,
    applicationType,
    webOrigins,
    tokenExchange,
    dpop,
  };
}

/** The token exchange policy comes with the grant type and the grant type with a policy. */
function checkTokenExchange(
  given: ClientSpec['tokenExchange'] | null,
  grantTypes: readonly string[],
): TokenExchangePolicy | null {
  const granted = grantTypes.includes(TOKEN_EXCHANGE_GRANT);
  if (given === null) {
    if (granted)
      throw invalid(
        "token exchange: the grant type needs exchange audiences (the APIs it may call on a user's behalf)",
      );
    return null;
  }
  if (typeof given !== 'object') throw invalid('token exchange: expected { audiences, issuers }');
  const audiences = stringList(given.audiences, 'token exchange audiences', isResourceIndicator);
  if (audiences.length === 0)
    throw invalid('token exchange audiences: at least one, an absolute URI such as https://billing.example');
  const issuers = stringList(given.issuers, 'token exchange issuers', isIssuerUrl);
  if (!granted) throw invalid(`token exchange: add the grant type ${TOKEN_EXCHANGE_GRANT} (token_exchange)`);
  return { audiences, issuers };
}

/**
 * Registers a client. For the secret methods a 256-bit secret is generated and returned here
 * once; only its hash is stored.
 */
export async function addClient(
  store: Store,
  spec: ClientSpec,
  actor: string,
): Promise<{ client: ClientView; secret: string | null }> {
  const checked = checkClientSpec(spec);
  if ((await store.clients.get(checked.id)) !== undefined)
    throw new IssuerError('ERR_CLIENT_EXISTS', `client ${checked.id} already exists`);
  // A public client never gets a secret: it could not keep one (RFC 6749 2.1, RFC 8252 8.5).
  const secret = hasSecret(checked.authMethod) ? generateClientSecret() : null;
  const record = await store.clients.create({
    ...checked,
    secretHash: secret === null ? null : hashClientSecret(secret),
  });
  await recordAudit(store, {
    type: 'client.created',
    actor,
    subject: record.id,
    detail: {
      auth_method: record.authMethod,
      application_type: record.applicationType ?? 'web',
      audiences: record.audiences,
      scopes: record.scopes,
      roles: record.roles,
      ...(record.webOrigins ? { web_origins: record.webOrigins } : {}),
      ...(record.tokenExchange ? { token_exchange: record.tokenExchange } : {}),
      dpop: record.dpop ?? 'allowed',
    },
  });
  return { client: toClientView(record), secret };
}

/** The methods that authenticate with a shared secret. */
function hasSecret(method: ClientAuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

export async function listClients(store: Store): Promise<ClientView[]> {
  return (await store.clients.list()).map(toClientView);
}

export async function showClient(store: Store, id: string): Promise<ClientView> {
  const record = await store.clients.get(id);
  if (record === undefined) throw new IssuerError('ERR_CLIENT_NOT_FOUND', `no client ${id}`);
  return toClientView(record);
}

/** Replaces the secret at once (the old one stops working) and returns the new one, shown once. */
export async function rotateClientSecret(
  store: Store,
  id: string,
  actor: string,
): Promise<{ client: ClientView; secret: string }> {
  const record = await store.clients.get(id);
  if (record === undefined) throw new IssuerError('ERR_CLIENT_NOT_FOUND', `no client ${id}`);
  if (record.authMethod === 'private_key_jwt')
    throw invalid(
      `client ${id} authenticates with private_key_jwt and has no secret; replace its keys instead`,
    );
  if (record.authMethod === 'none')
    throw invalid(`client ${id} is a public client (auth method none): it has no secret, by design`);
  const secret = generateClientSecret();
  const updated = (await store.clients.update(id, { secretHash: hashClientSecret(secret) })) as ClientRecord;
  await recordAudit(store, { type: 'client.secret_rotated', actor, subject: id });
  return { client: toClientView(updated), secret };
}

/** What updateClient may change; the id, the auth method and the secret stay. */
export type ClientChanges = Pick<
  ClientSpec,
  | 'name'
  | 'scopes'
  | 'roles'
  | 'audiences'
  | 'grantTypes'
  | 'redirectUris'
  | 'applicationType'
  | 'webOrigins'
  | 'tokenExchange'
  | 'dpop'
>;

/** Replaces the given fields, checked as by addClient (the token contents take effect on the next token). */
export async function updateClient(
  store: Store,
  id: string,
  changes: ClientChanges,
  actor: string,
): Promise<ClientView> {
  const record = await store.clients.get(id);
  if (record === undefined) throw new IssuerError('ERR_CLIENT_NOT_FOUND', `no client ${id}`);
  const checked = checkClientSpec({
    id,
    name: changes.name ?? record.name,
    authMethod: record.authMethod,
    ...(record.jwks === null ? {} : { jwks: record.jwks }),
    claims: record.claims,
    scopes: changes.scopes ?? record.scopes,
    roles: changes.roles ?? record.roles,
    audiences: changes.audiences ?? record.audiences,
    grantTypes: changes.grantTypes ?? record.grantTypes,
    redirectUris: changes.redirectUris ?? record.redirectUris,
    applicationType: changes.applicationType ?? record.applicationType ?? 'web',
    webOrigins: changes.webOrigins ?? record.webOrigins ?? [],
    // null removes the policy; undefined keeps it.
    tokenExchange:
      changes.tokenExchange === undefined ? (record.tokenExchange ?? null) : changes.tokenExchange,
    dpop: changes.dpop ?? record.dpop ?? 'allowed',
  });
  const {
    name,
    scopes,
    roles,
    audiences,
    grantTypes,
    redirectUris,
    applicationType,
    webOrigins,
    tokenExchange,
    dpop,
  } = checked;
  const updated = await store.clients.update(id, {
    name,
    scopes,
    roles,
    audiences,
    grantTypes,
    redirectUris,
    applicationType,
    webOrigins,
    tokenExchange,
    dpop,
  });
  if (updated === undefined) throw new IssuerError('ERR_CLIENT_NOT_FOUND', `no client ${id}`);
  await recordAudit(store, {
    type: 'client.updated',
    actor,
    subject: id,
    detail: {
      audiences,
      scopes,
      roles,
      grant_types: grantTypes,
      redirect_uris: redirectUris,
      application_type: applicationType,
      web_origins: webOrigins,
      token_exchange: tokenExchange,
      dpop,
    },
  });
  return toClientView(updated);
}

export async function removeClient(store: Store, id: string, actor: string): Promise<void> {
  if (!(await store.clients.remove(id))) throw new IssuerError('ERR_CLIENT_NOT_FOUND', `no client ${id}`);
  await recordAudit(store, { type: 'client.removed', actor, subject: id });
}
