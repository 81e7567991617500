import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { relayedSeq, relayRevocations } from '../../lib/redis-revocation-log.ts';
import type { Store } from '../../store/types.ts';

export interface RedisRelayOptions {
  readonly store: Store;
  readonly url: string;
  readonly prefix: string;
  /** How often the store is read for revocations made elsewhere (other issuers, the CLI). */
  readonly pollMs: number;
  readonly log: Logger;
  /** Extra ioredis options (tests shorten the retry delays). */
  readonly redisOptions?: RedisOptions;
}

const PAGE = 500;

/**
 * Carries the store's revocation list to the gateways' Redis (see lib/redis-revocation-log.ts):
 * every entry above the relayed mark kept in Redis is published, at once for revocations made in
 * this process (`sync()`), within `pollMs` for those made by other processes on the same store.
 * Every issuer of a deployment runs one; the mark makes each entry go out once. While Redis is
 * down nothing is lost: the store keeps the entries and the relay resumes from the mark (from the
 * start, re-filling it, if Redis came back empty).
 */
export class RedisRevocationRelay {
  readonly #o: RedisRelayOptions;
  readonly #redis: Redis;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #failing = false;

  constructor(options: RedisRelayOptions) {
    this.#o = options;
    this.#redis = new Redis(options.url, {
      // Commands fail at once while disconnected; the next poll retries.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2000,
      lazyConnect: true,
      ...options.redisOptions,
    });
    this.#redis.on('error', (err: Error) => this.#down(err));
    this.#redis.on('ready', () => this.sync());
  }

  /** Connected to Redis. */
  get up(): boolean {
    return this.#redis.status === 'ready' && !this.#failing;
  }

  start(): void {
    this.#redis.connect().catch(() => {});
    this.#timer = setInterval(() => this.sync(), this.#o.pollMs);
    this.#timer.unref();
  }

  /** Relays what is new now (coalesced with a run under way). */
  sync(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#relay()
      .then(
        () => {
          if (this.#failing && this.up) this.#o.log.info('relaying revocations to redis again');
          this.#failing = false;
        },
        (err: unknown) => this.#down(err as Error),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.sync();
        }
      });
  }

  async #relay(): Promise<void> {
    if (this.#redis.status !== 'ready') return;
    const { store, prefix } = this.#o;
    let cursor = await relayedSeq(this.#redis, prefix);
    for (;;) {
      const page = await store.revocations.since(cursor, PAGE);
      if (page.length === 0) return;
      await relayRevocations(this.#redis, prefix, page);
      cursor = page.at(-1)?.seq ?? cursor;
      if (page.length < PAGE) return;
    }
  }

  #down(err: Error): void {
    if (this.#closed || this.#failing) return;
    this.#failing = true;
    this.#o.log.warn(
      { error: err.message },
      'relaying revocations to redis failed; they stay in the store and are relayed once it works again',
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
    this.#redis.disconnect();
  }
}
