import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../../store/types.ts';
import { IssuerError } from '../errors.ts';
import { revokeJti } from '../revocation/revoke-jti.ts';
import {
  type ApplicationType,
  addClient,
  type ClientAuthMethod,
  type ClientChanges,
  type ClientDpop,
  listClients,
  removeClient,
  rotateClientSecret,
  showClient,
  updateClient,
} from './manage-clients.ts';
import { listKeys, startRotation } from './manage-keys.ts';

export interface AdminApiOptions {
  readonly store: Store;
  /** The bearer credential (JWTGATE_ADMIN_TOKEN). */
  readonly token: string;
  readonly prePublishSeconds: number;
  /** Default lifetime bound for a revocation by jti alone: the entry is kept this long. */
  readonly maxTokenLifetimeSeconds: number;
  readonly kek: Buffer | null;
  readonly now: () => number;
  /** After a key change: re-read the keys now rather than at the next poll. */
  readonly onKeysChanged: () => void;
  /** After a revocation: push it to the feed now. */
  readonly onRevoked: () => void;
}

const MIN_TOKEN_LENGTH = 32;
const BODY_LIMIT = 64 * 1024;

/** The admin credential must be long enough to resist guessing; a short one is a configuration error. */
export function checkAdminToken(token: string): void {
  if (token.length < MIN_TOKEN_LENGTH)
    throw new IssuerError(
      'ERR_ISSUER_CONFIG',
      `JWTGATE_ADMIN_TOKEN is ${token.length} characters; use at least ${MIN_TOKEN_LENGTH} (e.g. openssl rand -base64 32), or unset it to disable the admin API`,
    );
}

/** Constant-time: both sides are hashed first, so neither the length nor a prefix leaks through timing. */
function sameCredential(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res
    .writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT)
      throw new IssuerError('ERR_ADMIN_REQUEST_INVALID', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new IssuerError('ERR_ADMIN_REQUEST_INVALID', 'expected a JSON object');
}

/** One path segment, percent-decoded (RFC 3986 2.1); a malformed escape is the client's error. */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new IssuerError('ERR_ADMIN_PATH_INVALID', 'the path has a malformed percent-escape (RFC 3986 2.1)');
  }
}

const asStringList = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : undefined;

/** The token exchange policy of a request body: absent, null (none), or { audiences, issuers }. */
function exchangeOf(v: unknown): ClientChanges['tokenExchange'] {
  if (v === undefined || v === null) return v as undefined | null;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new IssuerError(
      'ERR_ADMIN_REQUEST_INVALID',
      'token_exchange: expected {"audiences": [...], "issuers": [...]} or null',
    );
  const o = v as Record<string, unknown>;
  return {
    ...(o.audiences !== undefined ? { audiences: asStringList(o.audiences) as string[] } : {}),
    ...(o.issuers !== undefined ? { issuers: asStringList(o.issuers) as string[] } : {}),
  };
}

/** The fields a client body may carry besides its id and credentials (create and update alike). */
function profileOf(b: Record<string, unknown>): ClientChanges {
  return {
    ...(typeof b.name === 'string' ? { name: b.name } : {}),
    ...(b.scopes !== undefined ? { scopes: asStringList(b.scopes) as string[] } : {}),
    ...(b.roles !== undefined ? { roles: asStringList(b.roles) as string[] } : {}),
    ...(b.audiences !== undefined ? { audiences: asStringList(b.audiences) as string[] } : {}),
    ...(b.grant_types !== undefined ? { grantTypes: asStringList(b.grant_types) as string[] } : {}),
    ...(b.redirect_uris !== undefined ? { redirectUris: asStringList(b.redirect_uris) as string[] } : {}),
    ...(b.application_type !== undefined ? { applicationType: b.application_type as ApplicationType } : {}),
    ...(b.web_origins !== undefined ? { webOrigins: asStringList(b.web_origins) as string[] } : {}),
    ...(b.token_exchange !== undefined ? { tokenExchange: exchangeOf(b.token_exchange) } : {}),
    ...(b.dpop !== undefined ? { dpop: b.dpop as ClientDpop } : {}),
  };
}

/**
 * The admin HTTP API, under `/admin/`, for what the CLI does: clients (list, add, show, update,
 * rotate-secret, remove), keys (list, rotate), token revocation by jti, and the audit log. Every
 * request needs `Authorization: Bearer <JWTGATE_ADMIN_TOKEN>`. Secrets appear only in the one
 * response that creates them.
 */
export function createAdminApi(options: AdminApiOptions) {
  const { store } = options;
  return async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    try {
      const auth = req.headers.authorization;
      const given = typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : '';
      if (given === '' || !sameCredential(given, options.token)) {
        res.setHeader('www-authenticate', 'Bearer realm="jwtgate-admin"');
        throw new IssuerError('ERR_ADMIN_UNAUTHORIZED');
      }
      const method = req.method ?? 'GET';
      const url = new URL(path, 'http://admin.invalid');
      const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodePathPart);
      const [area, id, action] = parts;

      if (area === 'clients' && id === undefined && method === 'GET')
        return send(res, 200, { clients: await listClients(store) });
      if (area === 'clients' && id === undefined && method === 'POST') {
        const b = await readJson(req);
        const created = await addClient(
          store,
          {
            id: b.id as string,
            ...profileOf(b),
            ...(b.auth_method !== undefined ? { authMethod: b.auth_method as ClientAuthMethod } : {}),
            ...(b.claims !== undefined ? { claims: b.claims as Record<string, unknown> } : {}),
            ...(b.jwks !== undefined ? { jwks: b.jwks as { keys: Record<string, unknown>[] } } : {}),
          },
          'admin-api',
        );
        return send(res, 201, { client: created.client, client_secret: created.secret ?? undefined });
      }
      if (area === 'clients' && id !== undefined && action === undefined && method === 'GET')
        return send(res, 200, { client: await showClient(store, id) });
      if (area === 'clients' && id !== undefined && action === undefined && method === 'PATCH') {
        const b = await readJson(req);
        for (const fixed of ['id', 'auth_method', 'client_secret', 'jwks', 'claims'])
          if (b[fixed] !== undefined)
            throw new IssuerError('ERR_ADMIN_REQUEST_INVALID', `${fixed} cannot be changed by an update`);
        return send(res, 200, { client: await updateClient(store, id, profileOf(b), 'admin-api') });
      }
      if (area === 'clients' && id !== undefined && action === undefined && method === 'DELETE') {
        await removeClient(store, id, 'admin-api');
        return send(res, 204);
      }
      if (area === 'clients' && id !== undefined && action === 'rotate-secret' && method === 'POST') {
        const rotated = await rotateClientSecret(store, id, 'admin-api');
        return send(res, 200, { client: rotated.client, client_secret: rotated.secret });
      }
      if (area === 'keys' && id === undefined && method === 'GET')
        return send(res, 200, { keys: await listKeys(store) });
      if (area === 'keys' && id === 'rotate' && method === 'POST') {
        const b = await readJson(req);
        const key = await startRotation(store, {
          ...(typeof b.alg === 'string' ? { alg: b.alg } : {}),
          prePublishSeconds:
            typeof b.pre_publish_seconds === 'number' ? b.pre_publish_seconds : options.prePublishSeconds,
          kek: options.kek,
          actor: 'admin-api',
          now: options.now(),
        });
        options.onKeysChanged();
        return send(res, 201, { key });
      }
      if (area === 'tokens' && id === 'revoke' && method === 'POST') {
        const b = await readJson(req);
        if (typeof b.jti !== 'string' || b.jti === '')
          throw new IssuerError('ERR_ADMIN_REQUEST_INVALID', 'expected {"jti": string, "exp"?: NumericDate}');
        const exp =
          typeof b.exp === 'number' && Number.isFinite(b.exp)
            ? b.exp
            : Math.ceil(options.now() / 1000) + options.maxTokenLifetimeSeconds;
        const record = await revokeJti(store, { jti: b.jti, exp, actor: 'admin-api' });
        options.onRevoked();
        return send(res, 200, { revocation: { seq: record.seq, jti: record.jti, exp: record.exp } });
      }
      if (area === 'audit' && id === undefined && method === 'GET') {
        const limit = Math.min(Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100), 1000);
        const types = url.searchParams.getAll('type');
        return send(res, 200, { events: await store.audit.recent(limit, types.length ? types : undefined) });
      }
      throw new IssuerError('ERR_ADMIN_NOT_FOUND');
    } catch (err) {
      if (err instanceof IssuerError) return send(res, err.status, { error: err.code, message: err.message });
      throw err;
    }
  };
}
