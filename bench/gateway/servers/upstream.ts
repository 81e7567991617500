// bench/gateway upstream: the one service every proxy in the bench forwards to. A minimal
// node:http server answering every request with the same small JSON body, keep-alive.
//
//   node bench/gateway/servers/upstream.ts <port>

import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from(
  `${JSON.stringify({ ok: true, service: 'bench-upstream', items: [1, 2, 3], note: 'a small reply of ~100 bytes' })}\n`,
);
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

const server = createServer((req, res) => {
  // Drain any request body, then answer; the proxies' keep-alive pools reuse the connection.
  req.resume();
  res.writeHead(200, headers).end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
