import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, createSecureServer, type Http2SecureServer, Http2ServerResponse } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContext } from 'node:tls';
import type { Limits } from '../config/compile-limits.ts';
import type { ServerTls } from './load-server-tls.ts';

/** The TLS listener: HTTPS, with HTTP/2 by ALPN on the same port unless `tls.http2: false`. */
export type TlsServer = HttpsServer | Http2SecureServer;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * node's HTTP/2 response, with HTTP/1.1's meaning of two properties the request handler reads to
 * tell a client that left from a finished response: `destroyed` (the stream is gone) and
 * `writableFinished`, which node's HTTP/2 response also reports for a stream reset before the
 * response was ended (then the upstream request must be cancelled, and the outcome is 499).
 */
class GatewayHttp2Response extends Http2ServerResponse {}
const finished = Object.getOwnPropertyDescriptor(Http2ServerResponse.prototype, 'writableFinished')?.get;
Object.defineProperties(GatewayHttp2Response.prototype, {
  destroyed: {
    get(this: Http2ServerResponse) {
      return this.stream.destroyed;
    },
  },
  writableFinished: {
    get(this: Http2ServerResponse) {
      return this.writableEnded && finished?.call(this) === true;
    },
  },
});

/**
 * Creates the TLS listener. Each handshake takes its certificate from `tls()` at that moment
 * (SNICallback), so a reload serves new handshakes the new certificates while open connections
 * keep the ones they started with. Whether client certificates are asked for is fixed here.
 */
export function createTlsServer(tls: () => ServerTls, limits: Limits, handler: Handler): TlsServer {
  const t = tls();
  const options = {
    ...t.defaults,
    minVersion: t.minVersion,
    requestCert: t.clientAuth !== null,
    rejectUnauthorized: t.clientAuth === 'required',
    SNICallback(servername: string, done: (err: Error | null, ctx?: SecureContext) => void) {
      done(null, tls().select(servername));
    },
  };
  // Headers must arrive within limits.headers_timeout, checked every second (see createGateway).
  const http1 = {
    requestTimeout: 0,
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(100, limits.headersTimeoutMs / 2)),
  };
  if (!t.http2) return createHttpsServer({ ...options, ...http1, maxHeaderSize: 16 * 1024 }, handler);
  const server = createSecureServer(
    {
      ...options,
      allowHTTP1: true,
      Http2ServerResponse: GatewayHttp2Response,
      maxSessionMemory: limits.http2MaxSessionMemoryMiB,
      // node's own default of 128 header pairs per block, as much as 16 KiB of HTTP/1.1 headers holds.
      maxHeaderListPairs: 128,
      settings: {
        maxConcurrentStreams: limits.http2MaxConcurrentStreams,
        maxHeaderListSize: limits.http2MaxHeaderListSize,
        enablePush: false,
      },
    },
    handler as unknown as Parameters<typeof createSecureServer>[1],
  );
  // The HTTP/1.1 side of an HTTP/2 server reads these from the server (node's http.Server names).
  Object.assign(server, http1);
  return server;
}

export const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM } =
  constants;
