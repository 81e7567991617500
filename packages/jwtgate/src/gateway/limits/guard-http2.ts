import type { Http2SecureServer, Http2Session, ServerHttp2Stream } from 'node:http2';
import type { Logger } from 'pino';
import type { Limits } from '../config/compile-limits.ts';
import type { LimitName } from '../observe/metrics.ts';
import { NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR } from '../tls/create-tls-server.ts';

const RESET_WINDOW_MS = 10_000;

/**
 * HTTP/2 limits node does not keep per connection: a client that resets more than
 * `limits.http2_max_resets` streams within 10 s (CVE-2023-44487, "rapid reset": each stream costs
 * the gateway a pipeline run, cancelling it costs the client one frame) gets GOAWAY
 * ENHANCE_YOUR_CALM and the connection is closed; the other clients' connections are untouched.
 * Connections node closes on a protocol error (CONTINUATION flood, too many invalid frames or
 * refused streams) are counted as `http2_bad_frames`. Stream concurrency, header list size and
 * session memory are node's settings (createTlsServer): nghttp2 refuses or resets those streams
 * before they reach JavaScript, so they are held off but not counted.
 */
export function guardHttp2(
  server: Http2SecureServer,
  limits: () => Limits,
  reached: (limit: LimitName) => void,
  log: Logger,
  now: () => number = Date.now,
): void {
  server.on('session', (session: Http2Session) => {
    let windowStart = now();
    let resets = 0;
    const onStreamClose = (stream: ServerHttp2Stream) => {
      const code = stream.rstCode;
      if (code === undefined || code === NGHTTP2_NO_ERROR || session.destroyed) return;
      const t = now();
      if (t - windowStart >= RESET_WINDOW_MS) {
        windowStart = t;
        resets = 0;
      }
      if (++resets > limits().http2MaxResets) {
        reached('http2_resets');
        log.warn(
          { remote: session.socket?.remoteAddress, resets },
          'HTTP/2 connection closed: too many stream resets',
        );
        // The GOAWAY says why; destroy then drops the streams under way and the socket.
        session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
        session.destroy();
      }
    };
    session.on('stream', (stream: ServerHttp2Stream) => {
      stream.once('close', () => onStreamClose(stream));
    });
  });
  server.on('sessionError', (err: NodeJS.ErrnoException) => {
    reached('http2_bad_frames');
    log.debug({ code: err.code }, 'HTTP/2 connection closed on a protocol error');
  });
}
