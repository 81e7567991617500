// bench/gateway bare proxy: the floor for a Node proxy. node:http in, undici Pool.stream out
// (keep-alive pool, the same pool settings as the gateway), hop-by-hop header removal only.
// No authentication, no logging, no metrics.
//
//   node bench/gateway/servers/bare-proxy.ts <listen port> <upstream origin> [workers]

import cluster from 'node:cluster';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

const port = Number(process.argv[2]);
const origin = process.argv[3] ?? 'http://127.0.0.1:8080';
const workers = Number(process.argv[4] ?? 1);

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function withoutHopByHop(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  // Fields the Connection header names are hop-by-hop too.
  const connection = headers.connection;
  const listed =
    typeof connection === 'string' ? new Set(connection.split(',').map((s) => s.trim().toLowerCase())) : null;
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const pool = new Pool(origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
  const server = createServer((req, res) => {
    const length = req.headers['content-length'];
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    pool
      .stream(
        {
          path: req.url ?? '/',
          method: (req.method ?? 'GET') as 'GET',
          headers: withoutHopByHop(req.headers),
          body: hasBody ? req : null,
        },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, withoutHopByHop(headers));
          return res;
        },
      )
      .catch(() => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      });
  });
  server.listen(port, '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void pool.close();
  });
}
