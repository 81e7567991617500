import type { IncomingMessage, ServerResponse } from 'node:http';
import { isStoreUnavailable } from '../../store/store-unavailable.ts';
import type { RevocationRecord, Store } from '../../store/types.ts';

export interface RevocationFeedOptions {
  readonly store: Store;
  /** How often the store is read for revocations made by other processes (the CLI, replicas). */
  readonly pollMs: number;
  /** A comment line this often keeps idle streams (and proxies in between) open. */
  readonly heartbeatMs: number;
  readonly maxSubscribers: number;
  readonly now: () => number;
  readonly onError: (err: unknown) => void;
}

/** One revocation as the feed publishes it. */
export interface FeedEntry {
  readonly seq: number;
  readonly jti: string;
  readonly exp: number;
}

interface Subscriber {
  readonly res: ServerResponse;
  cursor: number;
  replaying: boolean;
  readonly address: string;
}

const PAGE = 1000;
const MAX_PER_ADDRESS = 16;
const MAX_BUFFERED_BYTES = 1024 * 1024;
const PRUNE_EVERY_MS = 60_000;

const entry = (r: RevocationRecord): FeedEntry => ({ seq: r.seq, jti: r.jti, exp: r.exp });

/** A cursor from `?since=` or `Last-Event-ID`: a non-negative integer, else 0 (everything still listed). */
export function parseCursor(value: string | null | undefined): number {
  if (value === null || value === undefined || !/^\d{1,15}$/.test(value)) return 0;
  return Number(value);
}

/**
 * The revocation list as a feed for gateways: `GET /revocations?since=<seq>` pages through it
 * (JSON, with the `next` cursor), `GET /revocations/stream` sends the same entries as
 * Server-Sent Events (`id` = seq, so a reconnect with `Last-Event-ID` or `?since=` resumes where
 * it stopped) and then every new revocation as it happens: at once for revocations made in this
 * process, within `pollMs` for those made elsewhere against the same store.
 */
export class RevocationFeed {
  readonly #o: RevocationFeedOptions;
  readonly #subscribers = new Set<Subscriber>();
  #last = 0;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #again = false;
  #lastPrune = 0;
  #closed = false;

  constructor(options: RevocationFeedOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    // Start from the newest entry: subscribers replay older ones themselves.
    for (let page = await this.#o.store.revocations.since(0, PAGE); page.length > 0; ) {
      this.#last = (page.at(-1) as RevocationRecord).seq;
      page = page.length < PAGE ? [] : await this.#o.store.revocations.since(this.#last, PAGE);
    }
    this.#timer = setInterval(() => this.notify(), this.#o.pollMs);
    this.#timer.unref();
    this.#heartbeat = setInterval(() => {
      for (const s of this.#subscribers) s.res.write(': keep-alive\n\n');
    }, this.#o.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Reads new entries now (coalesced with a read under way) and pushes them to every stream. */
  notify(): void {
    if (this.#closed) return;
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#polling = this.#poll()
      .catch(this.#o.onError)
      .finally(() => {
        this.#polling = undefined;
        if (this.#again) {
          this.#again = false;
          this.notify();
        }
      });
  }

  async #poll(): Promise<void> {
    const { store, now } = this.#o;
    if (now() - this.#lastPrune > PRUNE_EVERY_MS) {
      this.#lastPrune = now();
      await store.revocations.prune(Math.floor(now() / 1000));
    }
    if (this.#subscribers.size === 0) {
      // Nobody listens: keep the cursor at the newest entry without reading them all.
      const newer = await store.revocations.since(this.#last, PAGE);
      if (newer.length > 0) this.#last = (newer.at(-1) as RevocationRecord).seq;
      return;
    }
    for (;;) {
      const page = await store.revocations.since(this.#last, PAGE);
      if (page.length === 0) return;
      this.#last = (page.at(-1) as RevocationRecord).seq;
      for (const s of this.#subscribers) if (!s.replaying) for (const r of page) this.#send(s, entry(r));
      if (page.length < PAGE) return;
    }
  }

  /** `GET /revocations?since=&limit=`: a page of entries after the cursor, and the cursor to ask with next. */
  async list(
    since: number,
    limit = PAGE,
  ): Promise<{ revocations: FeedEntry[]; next: number; more: boolean }> {
    const size = Math.min(Math.max(1, Math.trunc(limit) || PAGE), PAGE);
    const now = Math.floor(this.#o.now() / 1000);
    const page = await this.#o.store.revocations.since(since, size);
    return {
      // Expired entries may linger until pruned; they deny nothing, so they are not served.
      revocations: page.filter((r) => r.exp > now).map(entry),
      next: page.length > 0 ? (page.at(-1) as RevocationRecord).seq : since,
      more: page.length === size,
    };
  }

  /** `GET /revocations/stream`: replays after `since`, then stays open and sends each new revocation. */
  async stream(req: IncomingMessage, res: ServerResponse, since: number): Promise<void> {
    // One host may not take every slot (the feed is open to gateways without a credential).
    const address = req.socket.remoteAddress ?? '';
    let fromAddress = 0;
    for (const s of this.#subscribers) if (s.address === address) fromAddress++;
    if (this.#subscribers.size >= this.#o.maxSubscribers || fromAddress >= MAX_PER_ADDRESS) {
      res
        .writeHead(503, {
          'content-type': 'application/json',
          'retry-after': '5',
          'cache-control': 'no-store',
        })
        .end('{"error":"ERR_TOO_MANY_SUBSCRIBERS","message":"Too many revocation feed subscribers"}');
      return;
    }
    // The first read comes before the headers, so a store outage is a 503 the client can retry.
    let initial: RevocationRecord[];
    try {
      initial = await this.#o.store.revocations.since(since, PAGE);
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      this.#o.onError(err);
      res
        .writeHead(503, {
          'content-type': 'application/json',
          'retry-after': '1',
          'cache-control': 'no-store',
        })
        .end('{"error":"ERR_STORE_UNAVAILABLE","message":"The store is unreachable; retry shortly"}');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const sub: Subscriber = { res, cursor: since, replaying: true, address };
    this.#subscribers.add(sub);
    const drop = () => this.#subscribers.delete(sub);
    req.once('close', drop);
    res.once('close', drop);
    try {
      // Replay until the store has nothing newer; live delivery (skipped meanwhile) takes over after.
      // The initial page was read before this subscriber was registered: read at least once more,
      // so nothing revoked in between is missed.
      let page = initial;
      for (let registered = false; ; registered = true) {
        const now = Math.floor(this.#o.now() / 1000);
        for (const r of page) {
          if (r.exp > now) this.#send(sub, entry(r));
          else sub.cursor = r.seq;
        }
        if (registered && page.length < PAGE) break;
        page = await this.#o.store.revocations.since(sub.cursor, PAGE);
      }
    } catch (err) {
      this.#o.onError(err);
      res.destroy();
      return;
    } finally {
      sub.replaying = false;
    }
    res.write(': live\n\n');
  }

  #send(sub: Subscriber, e: FeedEntry): void {
    if (e.seq <= sub.cursor) return;
    sub.cursor = e.seq;
    // A subscriber that does not read is dropped rather than buffered without bound.
    if (sub.res.writableLength > MAX_BUFFERED_BYTES) {
      sub.res.destroy();
      this.#subscribers.delete(sub);
      return;
    }
    sub.res.write(`id: ${e.seq}\nevent: revocation\ndata: ${JSON.stringify(e)}\n\n`);
  }

  /**
   * Ends every stream (subscribers reconnect elsewhere, or here after a restart, with their
   * cursor); resolves once a read under way has finished, so the store may be closed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearInterval(this.#heartbeat);
    for (const s of this.#subscribers) s.res.end();
    this.#subscribers.clear();
    await this.#polling;
  }
}
