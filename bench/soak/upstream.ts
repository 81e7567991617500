// bench/soak upstream: the soak's own service behind the gateway, on 127.0.0.1.
//   GET  /any/path     a small JSON reply
//   POST /any/path     reads the whole body, replies with its length
//   GET  .../big       1 MiB in 64 KiB chunks, 20 ms apart (for clients that leave mid-response)
//
//   node bench/soak/upstream.ts <port>
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const small = Buffer.from('{"ok":true,"service":"soak-upstream"}\n');
const chunk = Buffer.alloc(64 * 1024, 'x');

const server = createServer((req, res) => {
  if (req.method === 'POST' || req.method === 'PUT') {
    let length = 0;
    req.on('data', (d: Buffer) => {
      length += d.length;
    });
    req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"received":${length}}\n`),
    );
    req.on('error', () => res.destroy());
    return;
  }
  req.resume();
  if (req.url?.endsWith('/big')) {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(16 * chunk.length),
    });
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent === 16) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(chunk);
      sent++;
    }, 20);
    res.on('close', () => clearInterval(timer));
    return;
  }
  res
    .writeHead(200, { 'content-type': 'application/json', 'content-length': String(small.length) })
    .end(small);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
