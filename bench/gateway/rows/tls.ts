// Rows: the gateway terminating TLS beside nginx terminating TLS with the same certificate
// (tls-certificate.ts), in front of the same upstream: HTTP/1.1 keep-alive (wrk over https) and
// HTTP/2 (h2load, HTTP2_STREAMS streams per connection), each compared with nginx doing the same.
// The gateway is start-jwtgate.ts's (HS256 route, token reused), its TLS listener speaking both
// protocols on one port (HTTP/2 by ALPN); nginx is start-nginx.ts's with `ssl` and `http2`.
// Extra rows: they need openssl and, for HTTP/2, h2load (apt-get install -y openssl nghttp2-client).

import type { RowSpec } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';
import { startNginx } from '../start-nginx.ts';

const workers = (n: number) => (n > 1 ? ` (--workers ${n})` : '');

const rows: RowSpec[] = [
  {
    key: 'tls-h1',
    order: 80,
    extra: true,
    baseline: 'nginx-tls-h1',
    label: (s) => `jwtgate HS256 over TLS, HTTP/1.1 keep-alive${workers(s.workers)}`,
    does: 'TLS 1.3 (P-256 certificate), every check, access line, metrics',
    start: (ctx) => startJwtgate(ctx, { path: '/hs/items', token: (f) => f.hsToken, tls: true }),
  },
  {
    key: 'tls-h2',
    order: 81,
    extra: true,
    baseline: 'nginx-tls-h2',
    label: (s) => `jwtgate HS256 over TLS, HTTP/2 (h2load)${workers(s.workers)}`,
    does: 'HTTP/2 by ALPN on the TLS listener, every check, access line, metrics',
    start: (ctx) => startJwtgate(ctx, { path: '/hs/items', token: (f) => f.hsToken, tls: true, http2: true }),
  },
  {
    key: 'nginx-tls-h1',
    order: 91,
    extra: true,
    label: (s) => `nginx terminating TLS, HTTP/1.1 keep-alive (worker_processes ${s.workers})`,
    does: 'ssl, proxy_pass, keepalive 64, access_log off',
    start: (ctx) => startNginx(ctx, { tls: true }),
  },
  {
    key: 'nginx-tls-h2',
    order: 92,
    extra: true,
    label: (s) => `nginx terminating TLS, HTTP/2 (h2load, worker_processes ${s.workers})`,
    does: 'ssl http2, proxy_pass, keepalive 64, access_log off',
    start: (ctx) => startNginx(ctx, { tls: true, http2: true }),
  },
];
export default rows;
