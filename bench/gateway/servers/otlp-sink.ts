// bench/gateway OTLP sink: what a collector would be for the traced rows. Takes OTLP/HTTP
// exports (POST /v1/traces), reads and discards them, answers 200; GET /received says how many
// bytes arrived (the row checks that spans are exported before it is measured).
//
//   node bench/gateway/servers/otlp-sink.ts <port>

import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
let received = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/received') return void res.end(String(received));
  req.on('data', (c: Buffer) => {
    received += c.length;
  });
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
