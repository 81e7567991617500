import type { Logger } from 'pino';
import type { RevocationList } from './revocation-list.ts';

export interface RevocationFeedOptions {
  /** The issuer's stream, `<issuer>/revocations/stream` (Server-Sent Events). */
  readonly url: string;
  readonly revocations: RevocationList;
  readonly log: Logger;
  readonly fetch?: typeof fetch;
  /** Reconnect delays: doubled after each failure, from min to max. Defaults 250 ms and 10 s. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** No byte (events or the issuer's keep-alive comments) for this long: the stream is presumed dead. Default 45 s. */
  readonly idleTimeoutMs?: number;
}

export interface FeedSubscription {
  /** Whether the stream is open now. */
  readonly connected: boolean;
  /** The last sequence number received: a reconnect resumes after it. */
  readonly cursor: number;
  close(): void;
}

interface SseEvent {
  id?: string;
  event?: string;
  data: string[];
}

/**
 * Follows an issuer's revocation feed and adds each revoked jti to the gateway's RevocationList,
 * so the verifier denies the token at once. The first connection replays every entry still
 * listed; a reconnect sends `?since=<cursor>` and `Last-Event-ID`, so nothing revoked while the
 * stream was down is missed. A feed that cannot be reached is logged and retried; verification
 * goes on meanwhile with what is already known.
 *
 * @example
 * const feed = subscribeRevocationFeed({ url: 'https://auth.example/revocations/stream', revocations, log });
 * // on shutdown
 * feed.close();
 */
export function subscribeRevocationFeed(options: RevocationFeedOptions): FeedSubscription {
  const fetchFn = options.fetch ?? fetch;
  const minBackoff = options.minBackoffMs ?? 250;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  const idleTimeout = options.idleTimeoutMs ?? 45_000;
  const { log, revocations } = options;
  let cursor = 0;
  let connected = false;
  let stopped = false;
  let controller: AbortController | undefined;
  let wake: (() => void) | undefined;

  const apply = (e: SseEvent) => {
    if (e.event !== 'revocation') return;
    let entry: { seq?: unknown; jti?: unknown; exp?: unknown };
    try {
      entry = JSON.parse(e.data.join('\n'));
    } catch {
      log.warn({ feed: options.url }, 'revocation feed sent an unreadable event');
      return;
    }
    if (typeof entry.jti !== 'string' || typeof entry.exp !== 'number' || typeof entry.seq !== 'number')
      return;
    revocations.add(entry.jti, entry.exp);
    cursor = Math.max(cursor, entry.seq);
  };

  async function follow(): Promise<void> {
    const url = new URL(options.url);
    if (cursor > 0) url.searchParams.set('since', String(cursor));
    controller = new AbortController();
    const abort = controller;
    let idle = setTimeout(() => abort.abort(new Error('idle')), idleTimeout);
    try {
      const res = await fetchFn(url, {
        headers: { accept: 'text/event-stream', ...(cursor > 0 ? { 'last-event-id': String(cursor) } : {}) },
        signal: abort.signal,
        redirect: 'error',
      });
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      connected = true;
      log.info({ feed: options.url, since: cursor }, 'revocation feed connected');
      const decoder = new TextDecoder();
      let buffered = '';
      let event: SseEvent = { data: [] };
      for await (const chunk of res.body) {
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(new Error('idle')), idleTimeout);
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl = buffered.search(/\r?\n|\r/);
        while (nl !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + (buffered[nl] === '\r' && buffered[nl + 1] === '\n' ? 2 : 1));
          if (line === '') {
            apply(event);
            event = { data: [] };
          } else if (!line.startsWith(':')) {
            // Server-Sent Events 9.2.6: "field: value", one optional space after the colon.
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') event.data.push(value);
            else if (field === 'event') event.event = value;
            else if (field === 'id') event.id = value;
          }
          nl = buffered.search(/\r?\n|\r/);
        }
      }
    } finally {
      clearTimeout(idle);
      connected = false;
    }
  }

  void (async () => {
    let backoff = minBackoff;
    while (!stopped) {
      const started = Date.now();
      try {
        await follow();
        if (!stopped) log.warn({ feed: options.url }, 'revocation feed closed; reconnecting');
      } catch (err) {
        if (stopped) break;
        log.warn(
          { feed: options.url, error: (err as Error).message },
          'revocation feed unavailable; retrying',
        );
      }
      // A stream that stayed up a while resets the delay; one failing at once backs off.
      if (Date.now() - started > maxBackoff) backoff = minBackoff;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, backoff).unref();
      });
      backoff = Math.min(maxBackoff, backoff * 2);
    }
  })();

  return {
    get connected() {
      return connected;
    },
    get cursor() {
      return cursor;
    },
    close() {
      stopped = true;
      controller?.abort();
      wake?.();
    },
  };
}
