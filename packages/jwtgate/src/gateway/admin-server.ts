import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GatewayError } from './errors.ts';

/**
 * What the admin listener reports and does, for one process or for the primary of `--workers N`
 * (which gathers its workers' state): each endpoint asks the context, the server only speaks HTTP.
 */
export interface AdminContext {
  /** Readiness and what it is made of (providers' keys, Redis, workers). */
  readiness(): Promise<{ readonly ready: boolean; readonly body: Readonly<Record<string, unknown>> }>;
  /** Prometheus text; rejects with ERR_METRICS_UNAVAILABLE when it cannot be gathered now. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
  revoked(): { jti: string; exp: number }[];
  /**
   * Denies `jti` until `exp`; rejects with ERR_REDIS_UNAVAILABLE when it is enforced here but
   * could not be passed on to the other replicas.
   */
  revoke(jti: string, exp: number): Promise<void>;
  /** The public keys of the gateway's signed identity tokens (RFC 7517), or null when it signs none. */
  jwks?(): { keys: unknown[] } | null;
}

const MAX_BODY = 16 * 1024;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** The body as JSON; null when it is not JSON, 'too large' past 16 KiB. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return 'too large';
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * The operations listener, apart from traffic: `/healthz` (the process answers), `/readyz`
 * (every provider has keys; with workers, every worker is up), `/metrics` (Prometheus),
 * `/revocations` (GET the list, POST `{"jti": "...", "exp": 1700000000}` to deny a token until
 * its expiry), `/.well-known/jwks.json` (the keys of signed identity tokens). It has no
 * authentication: bind it to a private address.
 *
 * @example
 * createAdminServer(context).listen(9901, '127.0.0.1');
 */
export function createAdminServer(ctx: AdminContext): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/readyz') {
        const { ready, body } = await ctx.readiness();
        return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...body });
      }
      if (req.method === 'GET' && path === '/metrics') {
        const { contentType, body } = await ctx.metrics();
        res.writeHead(200, { 'content-type': contentType });
        return void res.end(body);
      }
      if (req.method === 'GET' && path === '/.well-known/jwks.json') {
        const jwks = ctx.jwks?.() ?? null;
        if (jwks === null)
          return json(res, 404, { error: 'ERR_ROUTE_NOT_FOUND', message: 'No signed identity configured' });
        // Services refetch on an unknown kid; a new key is published before it signs (see identity-keys.ts).
        res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=60' });
        return void res.end(JSON.stringify(jwks));
      }
      if (path === '/revocations' && req.method === 'GET') return json(res, 200, { revoked: ctx.revoked() });
      if (path === '/revocations' && req.method === 'POST') {
        const body = (await readJson(req)) as { jti?: unknown; exp?: unknown } | null | 'too large';
        if (body === 'too large')
          return json(res, 413, { error: 'ERR_BODY_TOO_LARGE', message: 'At most 16 KiB' });
        if (
          typeof body?.jti !== 'string' ||
          body.jti === '' ||
          typeof body.exp !== 'number' ||
          !Number.isFinite(body.exp)
        ) {
          return json(res, 400, {
            error: 'ERR_INVALID_REQUEST',
            message: 'expected {"jti": string, "exp": NumericDate}',
          });
        }
        await ctx.revoke(body.jti, body.exp);
        return void res.writeHead(204).end();
      }
      json(res, 404, { error: 'ERR_ROUTE_NOT_FOUND', message: 'No such admin endpoint' });
    } catch (err) {
      if (err instanceof GatewayError)
        return json(res, err.status, { error: err.code, message: err.message });
      if (!res.headersSent)
        json(res, 400, { error: 'ERR_INVALID_REQUEST', message: 'The request could not be read' });
      else res.destroy();
    }
  });
}
