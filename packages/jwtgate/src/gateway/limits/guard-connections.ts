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
 * Limits on client connections that node does not have, at the connection level only (nothing
 * per request): at most `max_connections_per_address` at once from one address (a further one
 * is closed at once), and a new connection that has sent nothing within `first_byte_timeout` is
 * closed. That check is a sweep, once a second, of the connections not yet heard from (their
 * `bytesRead` is 0): no timer per connection, and a connection leaves the sweep on its first byte.
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
    if (l.firstByteTimeoutMs > 0) silent.set(socket, now());
  });

  const sweep = setInterval(() => {
    if (silent.size === 0) return;
    const timeout = limits().firstByteTimeoutMs;
    const t = now();
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
