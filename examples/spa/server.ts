// examples/spa: serves the single-page app (app.html, app.js and its config) and, under
// /backend, the API the gateway forwards to (it answers with the identity the gateway gave it).
//   ISSUER=http://127.0.0.1:8080 API=http://127.0.0.1:9001 npm run example:spa
// Environment: ISSUER, API (the gateway), CLIENT_ID (spa), RESOURCE (https://api.spa.example), PORT (5173).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const env = process.env;
const config = {
  issuer: env.ISSUER ?? 'http://127.0.0.1:8080',
  api: env.API ?? 'http://127.0.0.1:9001',
  clientId: env.CLIENT_ID ?? 'spa',
  resource: env.RESOURCE ?? 'https://api.spa.example',
};
const here = (name: string) => readFileSync(new URL(name, import.meta.url));
const files: Record<string, [string, Buffer]> = {
  '/': ['text/html; charset=utf-8', here('app.html')],
  '/callback': ['text/html; charset=utf-8', here('app.html')],
  '/app.js': ['text/javascript; charset=utf-8', here('app.js')],
  '/config.js': [
    'text/javascript; charset=utf-8',
    Buffer.from(`window.CONFIG = ${JSON.stringify(config)};\n`),
  ],
};

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] as string;
  if (path.startsWith('/backend/')) {
    // Only the gateway calls this (it is the route's upstream): who it says the caller is.
    const user = req.headers['x-user-id'];
    return void res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ hello: user, roles: req.headers['x-user-roles'], path }));
  }
  const file = files[path];
  if (file === undefined) return void res.writeHead(404).end();
  // The page runs only its own scripts; it talks to the issuer and the gateway.
  res
    .writeHead(200, {
      'content-type': file[0],
      'content-security-policy': `default-src 'self'; connect-src 'self' ${config.issuer} ${config.api}`,
      'cache-control': 'no-store',
    })
    .end(file[1]);
});
const port = Number(env.PORT ?? 5173);
server.listen(port, '127.0.0.1', () => process.stdout.write(`SPA on http://127.0.0.1:${port}\n`));
process.once('SIGTERM', () => server.close());
