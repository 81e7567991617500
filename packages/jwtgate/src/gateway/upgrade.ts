import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { CompiledGateway } from './config/compile-gateway.ts';
import type { GatewayMetrics } from './observe/metrics.ts';
import { copyResponseHeaders } from './pipeline/forward.ts';
import { prepareUpstream, requestIdOf } from './pipeline/prepare-upstream.ts';

function reject(socket: Duplex, status: number, headers: Record<string, string>, body: object): void {
  const text = JSON.stringify(body);
  const head = Object.entries({
    'content-type': 'application/json; charset=utf-8',
    ...headers,
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
  })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n\r\n${text}`);
}

/**
 * WebSocket upgrades, on routes with `websocket: true` only: the same pipeline as any request
 * (prepareUpstream), then undici's upgrade to the upstream and the two sockets piped.
 */
export function createUpgradeHandler(current: () => CompiledGateway, log: Logger, metrics: GatewayMetrics) {
  return async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => socket.destroy());
    const requestId = requestIdOf(req);
    const prepared = await prepareUpstream(req, current(), requestId, Date.now);
    const logLine = { request_id: requestId, method: req.method, upgrade: true };
    if (!prepared.ok) {
      reject(socket, prepared.status, prepared.headers, prepared.body);
      metrics.decision('deny', prepared.reason);
      metrics.request(prepared.route, prepared.status);
      log.info({ ...logLine, route: prepared.route, status: prepared.status, reason: prepared.reason });
      return;
    }
    const { route, verified, target } = prepared;
    if (!route.websocket) {
      reject(
        socket,
        404,
        { 'x-request-id': requestId },
        { error: 'ERR_ROUTE_NOT_FOUND', request_id: requestId },
      );
      metrics.request(route.name, 404);
      log.info({ ...logLine, route: route.name, status: 404, reason: 'ERR_ROUTE_NOT_FOUND' });
      return;
    }
    if (socket.destroyed) return;
    try {
      const upstream = await target.pool.upgrade({
        path: prepared.path,
        method: req.method ?? 'GET',
        headers: prepared.headers,
        protocol: 'websocket',
        signal: AbortSignal.timeout(route.timeoutMs),
      });
      if (socket.destroyed) {
        // The client left while the upstream was answering: do not keep its side open.
        upstream.socket.destroy();
        return;
      }
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
      // An open WebSocket may be quiet for long: the HTTP idle timeout no longer applies.
      (socket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
      upstream.socket.pipe(socket).pipe(upstream.socket);
      metrics.decision('allow', 'OK');
      metrics.request(route.name, 101);
      log.info({ ...logLine, route: route.name, status: 101, reason: 'OK', sub: verified?.claims.sub });
    } catch (err) {
      const code = (err as { name?: string; code?: string })?.name === 'TimeoutError' ? 504 : 502;
      const reason = code === 504 ? 'ERR_UPSTREAM_TIMEOUT' : 'ERR_UPSTREAM_UNAVAILABLE';
      reject(socket, code, { 'x-request-id': requestId }, { error: reason, request_id: requestId });
      metrics.request(route.name, code);
      log.warn({
        ...logLine,
        route: route.name,
        status: code,
        reason,
        code: (err as { code?: string }).code,
      });
    }
  };
}
