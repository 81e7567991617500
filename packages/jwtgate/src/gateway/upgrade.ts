import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { JwtGateError, toErrorResponse, type VerifiedToken } from '@jwtgate/verify';
import type { Logger } from 'pino';
import type { CompiledGateway } from './config/compile-gateway.ts';
import { requestIdOf } from './handle-request.ts';
import { copyRequestHeaders, copyResponseHeaders } from './pipeline/forward.ts';

function reject(
  socket: Duplex,
  status: number,
  reason: string,
  headers: Record<string, string>,
  body: string,
): void {
  const head = Object.entries({
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${head}\r\n\r\n${body}`);
}

/**
 * WebSocket upgrades, on routes with `websocket: true` only: the same route match and token
 * checks as any request, then undici's upgrade to the upstream and the two sockets piped.
 */
export function createUpgradeHandler(current: () => CompiledGateway, log: Logger) {
  return async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => socket.destroy());
    const g = current();
    const requestId = requestIdOf(req);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const match = g.match(req.method ?? 'GET', path);
    const route = match.route;
    if (route === null || !route.websocket) {
      reject(
        socket,
        404,
        'Not Found',
        { 'content-type': 'application/json' },
        JSON.stringify({ error: 'ERR_ROUTE_NOT_FOUND', request_id: requestId }),
      );
      return;
    }
    let verified: VerifiedToken | undefined;
    if (route.authenticate !== null) {
      try {
        verified = await route.authenticate(req);
      } catch (error) {
        const err = error instanceof JwtGateError ? error : new JwtGateError('ERR_INTERNAL');
        const r = toErrorResponse(err, { requestId });
        reject(socket, r.status, 'Denied', r.headers, JSON.stringify(r.body));
        log.info({
          request_id: requestId,
          route: route.name,
          status: r.status,
          reason: err.code,
          upgrade: true,
        });
        return;
      }
    }
    const headers = copyRequestHeaders(
      req.headers,
      (name) =>
        route.dropHeaders.has(name) || g.reservedHeaders.has(name) || name.startsWith(g.reservedPrefix),
    ) as Record<string, string>;
    if (verified !== undefined) route.identity(verified.claims, headers);
    headers['x-request-id'] = requestId;
    const target = route.upstream.pick(Date.now());
    let p = path;
    if (route.stripPrefix !== null && p.startsWith(route.stripPrefix))
      p = p.slice(route.stripPrefix.length) || '/';
    try {
      const upstream = await target.pool.upgrade({
        path: target.basePath + p + (q === -1 ? '' : url.slice(q)),
        method: req.method ?? 'GET',
        headers,
        protocol: 'websocket',
      });
      const out = copyResponseHeaders(upstream.headers as Record<string, string>);
      const lines = Object.entries(out).flatMap(([k, v]) =>
        Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`],
      );
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: websocket\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}\r\n`,
      );
      if (head.length) upstream.socket.write(head);
      upstream.socket.on('error', () => socket.destroy());
      socket.on('close', () => upstream.socket.destroy());
      upstream.socket.on('close', () => socket.destroy());
      upstream.socket.pipe(socket).pipe(upstream.socket);
      log.info({
        request_id: requestId,
        route: route.name,
        status: 101,
        reason: 'OK',
        sub: verified?.claims.sub,
        upgrade: true,
      });
    } catch (err) {
      reject(
        socket,
        502,
        'Bad Gateway',
        { 'content-type': 'application/json' },
        JSON.stringify({ error: 'ERR_UPSTREAM_UNAVAILABLE', request_id: requestId }),
      );
      log.warn(
        { request_id: requestId, route: route.name, code: (err as { code?: string }).code },
        'upgrade failed',
      );
    }
  };
}
