import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Verifier } from '@jwtgate/verify';
import type { GatewayMetrics } from './observe/metrics.ts';
import type { RevocationList } from './state/revocation-list.ts';
import type { SharedRedis } from './state/shared-redis.ts';

export interface AdminContext {
  readonly verifier: () => Verifier;
  readonly metrics: GatewayMetrics;
  readonly revocations: RevocationList;
  /** The shared Redis: readiness reports it, and POST /revocations publishes to every replica through it. */
  readonly redis?: () => SharedRedis | null;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit = 16 * 1024): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The operations listener, apart from traffic: `/healthz` (the process answers), `/readyz`
 * (every provider has keys), `/metrics` (Prometheus), `/revocations` (GET the list, POST
 * `{"jti": "...", "exp": 1700000000}` to deny a token until its expiry). Bind it to a private address.
 */
export function createAdminServer(ctx: AdminContext): Server {
  return createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
      if (req.method === 'GET' && path === '/readyz') {
        const verifier = ctx.verifier();
        let providers = verifier.status();
        if (!Object.values(providers).every((p) => p.ready)) providers = await verifier.load();
        const redis = ctx.redis?.() ?? null;
        // Redis down with on_failure open still serves: it is reported, not a reason to be unready.
        const ready = Object.values(providers).every((p) => p.ready) && redis?.refusing !== true;
        return json(res, ready ? 200 : 503, {
          status: ready ? 'ready' : 'not ready',
          providers,
          ...(redis !== null ? { redis: redis.status() } : {}),
        });
      }
      if (req.method === 'GET' && path === '/metrics') {
        const body = await ctx.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
        return void res.end(body);
      }
      if (path === '/revocations' && req.method === 'GET')
        return json(res, 200, { revoked: ctx.revocations.list() });
      if (path === '/revocations' && req.method === 'POST') {
        const body = (await readJson(req)) as { jti?: unknown; exp?: unknown };
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
        ctx.revocations.add(body.jti, body.exp);
        const redis = ctx.redis?.() ?? null;
        if (redis !== null) {
          try {
            await redis.publish(body.jti, body.exp);
          } catch {
            // Enforced here already; the other replicas did not hear of it.
            return json(res, 503, {
              error: 'ERR_REDIS_UNAVAILABLE',
              message:
                'Revoked on this gateway only: Redis is unreachable; retry to reach the other replicas',
            });
          }
        }
        res.writeHead(204).end();
        return;
      }
      json(res, 404, { error: 'ERR_ROUTE_NOT_FOUND', message: 'No such admin endpoint' });
    } catch {
      json(res, 400, { error: 'ERR_INVALID_REQUEST', message: 'The request could not be read' });
    }
  });
}
