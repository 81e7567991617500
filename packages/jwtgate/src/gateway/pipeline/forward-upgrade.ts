import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CompiledRoute } from '../config/compile-gateway.ts';
import { copyResponseHeaders } from '../headers/header-policy.ts';
import type { Target } from '../upstream/upstream-targets.ts';
import type { RequestState } from './request-state.ts';

/** Answers on a raw socket (an upgrade has no ServerResponse) and closes it. */
export function answerOnSocket(
  socket: Duplex,
  status: number,
  headers: Record<string, string>,
  body: object,
): void {
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
 * The WebSocket upgrade with the upstream (undici `upgrade`), then the two sockets piped. Resolves
 * true once they are (false when the client left meanwhile); rejects with the raw error when the
 * upstream refused or failed.
 */
export async function forwardUpgrade(s: RequestState, target: Target, head: Buffer): Promise<boolean> {
  const socket = s.socket as Duplex;
  const route = s.route as CompiledRoute;
  const upstream = await target.pool.upgrade({
    path: target.basePath + s.upstreamPath,
    method: s.req.method ?? 'GET',
    headers: s.headers as Record<string, string>,
    protocol: 'websocket',
    signal: AbortSignal.timeout(route.timeoutMs),
  });
  if (socket.destroyed) {
    // The client left while the upstream was answering: do not keep its side open.
    upstream.socket.destroy();
    return false;
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
  return true;
}
