// bench/gateway express row: express-jwt (jsonwebtoken) verifying an HS256 token with the same
// checks the gateway's HS256 route makes (algorithm, issuer, audience, expiry, scope `read`),
// the subject passed upstream as X-User-Id, http-proxy-middleware (http-proxy, keep-alive agent)
// forwarding. No logging.
//
//   node bench/gateway/servers/express-proxy.ts <port> <upstream origin> <workers> <issuer> <audience> <secret>

import cluster from 'node:cluster';
import { Agent } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { expressjwt } from 'express-jwt';
import { createProxyMiddleware } from 'http-proxy-middleware';

const [port, origin, workers, issuer, audience, secret] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];

type Authed = Request & { auth?: { sub?: string; scope?: string } };

if (Number(workers) > 1 && cluster.isPrimary) {
  for (let i = 0; i < Number(workers); i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const app = express();
  app.disable('x-powered-by');
  app.use(expressjwt({ secret, algorithms: ['HS256'], issuer, audience }));
  app.use((req: Authed, res: Response, next: NextFunction) => {
    if (
      !String(req.auth?.scope ?? '')
        .split(' ')
        .includes('read')
    )
      res.status(403).json({ error: 'scope' });
    else next();
  });
  app.use(
    createProxyMiddleware<Authed>({
      target: origin,
      agent: new Agent({ keepAlive: true, maxSockets: 256 }),
      on: {
        proxyReq: (proxyReq, req) => proxyReq.setHeader('x-user-id', String(req.auth?.sub ?? '')),
      },
    }),
  );
  app.use((err: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ error: 'invalid_token' });
  });
  const server = app.listen(Number(port), '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
  });
}
