import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Limits } from '../config/compile-limits.ts';
import type { LimitName } from '../observe/metrics.ts';
import { addressKey } from './address-key.ts';

export interface ConnectionGuard {
  /** Open client connections, by address key (tests and metrics). */
  readonly perAddress: ReadonlyMap<string, number>;
  close(): void;
}

/**
 * Limits on client connections, at the connection level only (nothing per request): at most
 * `max_connections_per_address` at once from one address (a further one is closed at once), a
 * new connection that has sent nothing within `first_byte_timeout` is closed, and so is one with
 * no traffic either way for `idle_timeout`. Both deadlines are one sweep a second over the
 * connections, reading their byte counts: no timer per connection, and none re-armed on every
 * read and write (node's `server.timeout` would). A WebSocket (after the upgrade) leaves the
 * idle sweep, as it left node's timeout.
 */
export function guardConnections(
  server: Server,
  limits: () => Limits,
  reached: (limit: LimitName) => void,
  now: () => number = Date.now,
): ConnectionGuard {
  const perAddress = new Map<string, number>();
  const silent = new Map<Socket, number>();
  const counted = new WeakMap<Socket, string>();
  /** Every open HTTP connection: its byte count at the last sweep, and since when it has not moved. */
  const open = new Map<Socket, { bytes: number; since: number }>();
  function forget(this: Socket) {
    open.delete(this);
  }

  function release(this: Socket) {
    const key = counted.get(this);
    if (key === undefined) return;
    const n = (perAddress.get(key) ?? 1) - 1;
    if (n > 0) perAddress.set(key, n);
    else perAddress.delete(key);
  }

  server.on('connection', (socket: Socket) => {
    const l = limits();
    if (l.maxConnectionsPerAddress > 0) {
      const key = addressKey(socket.remoteAddress);
      const n = (perAddress.get(key) ?? 0) + 1;
      if (n > l.maxConnectionsPerAddress) {
        reached('connections_per_address');
        socket.destroy();
        return;
      }
      perAddress.set(key, n);
      counted.set(socket, key);
      socket.once('close', release);
    }
    const t = now();
    if (l.firstByteTimeoutMs > 0) silent.set(socket, t);
    open.set(socket, { bytes: 0, since: t });
    socket.once('close', forget);
  });
  const upgraded = (_req: unknown, socket: Socket) => void open.delete(socket);
  server.on('upgrade', upgraded);
  server.on('connect', upgraded);

  const sweep = setInterval(() => {
    const t = now();
    const { firstByteTimeoutMs: timeout, idleTimeoutMs: idle } = limits();
    for (const [socket, w] of open) {
      const bytes = socket.bytesRead + socket.bytesWritten;
      if (bytes !== w.bytes) {
        w.bytes = bytes;
        w.since = t;
      } else if (idle > 0 && t - w.since >= idle && !socket.destroyed) {
        open.delete(socket);
        reached('idle_timeout');
        socket.destroy();
      }
    }
    if (silent.size === 0) return;
    for (const [socket, since] of silent) {
      if (socket.destroyed || socket.bytesRead > 0) silent.delete(socket);
      else if (timeout > 0 && t - since >= timeout) {
        silent.delete(socket);
        reached('first_byte_timeout');
        socket.destroy();
      }
    }
  }, 1000);
  sweep.unref();

  return {
    perAddress,
    close: () => clearInterval(sweep),
  };
}
