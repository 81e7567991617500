import type { RequestState } from '../pipeline/request-state.ts';

interface Watched {
  readonly s: RequestState;
  /** When the body's time started; moved on while the gateway (not the client) holds it up. */
  start: number;
  readonly base: number;
  last: number;
}

export interface BodyDeadlines {
  /** Watches the body of `s` until it is complete (or the request is gone). */
  watch(s: RequestState): void;
  /** Bodies being watched now. */
  readonly size: number;
  close(): void;
}

/**
 * The request-body deadline and minimum data rate (Apache mod_reqtimeout's rule): a body must be
 * complete within `body_timeout` plus one second for every `body_min_rate` bytes received, or
 * `onLate` answers 408 and closes the connection. Without it a client sending a byte every few
 * seconds would hold its connection (and, once streaming, an upstream one) for as long as it
 * likes: node's idle timeout restarts on every byte.
 *
 * Checked by one sweep a second over the bodies still arriving, from the socket's byte count:
 * nothing is added to the data path. Time while the socket is paused does not count: then the
 * gateway or the upstream is not reading, not the client slow to send.
 */
export function watchBodyDeadlines(
  onLate: (s: RequestState) => void,
  now: () => number = Date.now,
): BodyDeadlines {
  const watched = new Set<Watched>();
  const sweep = setInterval(() => {
    const t = now();
    for (const w of watched) {
      const req = w.s.req;
      const socket = req.socket;
      if (req.complete || socket.destroyed) {
        watched.delete(w);
        continue;
      }
      if (socket.isPaused()) w.start += t - w.last;
      w.last = t;
      const { bodyTimeoutMs, bodyMinRate } = w.s.g.limits;
      const allowed = bodyTimeoutMs + ((socket.bytesRead - w.base) / bodyMinRate) * 1000;
      if (t - w.start > allowed) {
        watched.delete(w);
        onLate(w.s);
      }
    }
  }, 1000);
  sweep.unref();
  return {
    watch(s) {
      const t = now();
      watched.add({ s, start: t, base: s.req.socket.bytesRead, last: t });
    },
    get size() {
      return watched.size;
    },
    close: () => clearInterval(sweep),
  };
}
