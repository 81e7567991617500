import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { REVOCATION_GRACE_SECONDS, revocationKeys } from '../../lib/redis-revocation-log.ts';
import type { RevocationList } from './revocation-list.ts';

export { publishRevocation, revocationKeys } from '../../lib/redis-revocation-log.ts';

export interface RedisRevocationOptions {
  readonly url: string;
  readonly prefix: string;
  readonly revocations: RevocationList;
  readonly log: Logger;
  /** Extra ioredis options (tests shorten the retry delays). */
  readonly redisOptions?: RedisOptions;
}

export interface RedisRevocationSubscription {
  /** Subscribed and caught up: every revocation recorded in Redis is in the local list. */
  readonly connected: boolean;
  /** The last log entry id applied (`0-0` before the first catch-up). */
  readonly cursor: string;
  /** The subscriber connection's CLIENT SETNAME (tests kill it with CLIENT KILL). */
  readonly clientName: string;
  /** Resolves once connected and caught up (rejects after `timeoutMs`). */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

/**
 * Follows the revocations other gateways (and the issuer) publish to Redis and adds each to the
 * gateway's RevocationList. On every (re)connect it subscribes first, then catches up: from the
 * log after its cursor, or (first time, or when the log was trimmed past the cursor) from the
 * sorted set of everything still unexpired, so nothing published while it was away is missed.
 * ioredis reconnects by itself; meanwhile the list keeps what it has.
 *
 * @example
 * const sub = subscribeRedisRevocations({ url: 'redis://127.0.0.1:6379', prefix: 'jwtgate:', revocations, log });
 * // on shutdown
 * await sub.close();
 */
export function subscribeRedisRevocations(options: RedisRevocationOptions): RedisRevocationSubscription {
  const { log, revocations, prefix } = options;
  const k = revocationKeys(prefix);
  const clientName = `${prefix.replace(/[^A-Za-z0-9_.:-]/g, '_')}sub-${randomBytes(4).toString('hex')}`;
  const base: RedisOptions = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    ...options.redisOptions,
  };
  const cmd = new Redis(options.url, { ...base, lazyConnect: true });
  const sub = new Redis(options.url, {
    ...base,
    connectionName: clientName,
    autoResubscribe: false,
    lazyConnect: true,
    enableOfflineQueue: true,
  });
  let cursor = '0-0';
  let caughtUp = false;
  let stopped = false;
  let running = false;
  let again = false;
  let waiters: (() => void)[] = [];

  const apply = (jti: unknown, exp: unknown) => {
    const e = typeof exp === 'string' ? Number(exp) : exp;
    if (typeof jti === 'string' && jti !== '' && typeof e === 'number' && Number.isFinite(e))
      revocations.add(jti, e);
  };

  sub.on('message', (channel: string, message: string) => {
    if (channel !== k.channel) return;
    try {
      const entry = JSON.parse(message) as { jti?: unknown; exp?: unknown };
      apply(entry.jti, entry.exp);
    } catch {
      log.warn({ channel }, 'redis revocation channel sent an unreadable message');
    }
  });

  async function fromSortedSet(): Promise<void> {
    const last = (await cmd.xrevrange(k.log, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    const min = Math.floor(Date.now() / 1000) - REVOCATION_GRACE_SECONDS;
    const flat = await cmd.zrangebyscore(k.revoked, min, '+inf', 'WITHSCORES');
    for (let i = 0; i + 1 < flat.length; i += 2) apply(flat[i], flat[i + 1]);
    cursor = last;
  }

  async function catchUp(): Promise<void> {
    if (cursor === '0-0') return fromSortedSet();
    const first = (await cmd.xrange(k.log, '-', '+', 'COUNT', 1))[0]?.[0];
    // Trimmed past the cursor (or deleted): entries may be gone from the log, not from the set.
    if (first === undefined || compareIds(first, cursor) > 0) return fromSortedSet();
    for (;;) {
      const page = await cmd.xrange(k.log, `(${cursor}`, '+', 'COUNT', 1000);
      for (const [id, fields] of page) {
        const f: Record<string, string> = {};
        for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
        apply(f.jti, f.exp);
        cursor = id;
      }
      if (page.length < 1000) return;
    }
  }

  const sync = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    caughtUp = false;
    running = true;
    void (async () => {
      try {
        if (sub.status !== 'ready' || cmd.status !== 'ready') return;
        await sub.subscribe(k.channel);
        await catchUp();
        if (sub.status !== 'ready') return;
        caughtUp = true;
        log.info({ channel: k.channel, cursor }, 'redis revocations caught up');
        for (const w of waiters) w();
        waiters = [];
      } catch (err) {
        if (!stopped) log.warn({ error: (err as Error).message }, 'redis revocation catch-up failed');
      } finally {
        running = false;
        if (again) {
          again = false;
          sync();
        }
      }
    })();
  };

  for (const client of [sub, cmd]) {
    client.on('ready', sync);
    client.on('close', () => {
      if (client === sub) caughtUp = false;
    });
    client.on('error', (err: Error) => {
      if (!stopped) log.warn({ error: err.message }, 'redis unavailable; keeping known revocations');
    });
  }
  sub.connect().catch(() => {});
  cmd.connect().catch(() => {});

  return {
    get connected() {
      return caughtUp && sub.status === 'ready' && cmd.status === 'ready';
    },
    get cursor() {
      return cursor;
    },
    clientName,
    ready(timeoutMs = 5000) {
      if (this.connected) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('redis revocations not ready')), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async close() {
      stopped = true;
      sub.disconnect();
      cmd.disconnect();
    },
  };
}
