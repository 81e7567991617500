// What runs behind a gateway configuration, for trying it on one machine: an echo service on
// every upstream the routes name (it answers with the identity headers the gateway set), and
// with a JWKS file, that key set at each provider's loopback `jwks_uri`.
//   node --conditions=jwtgate-source examples/gateway/backends.ts examples/gateway/jwtgate.yaml [jwks.json]
// (`npm run example:gateway-backends` runs it on this folder's config and the keys the README makes.)
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { parse } from 'yaml';

const [configFile, jwksFile] = process.argv.slice(2);
if (configFile === undefined) {
  process.stderr.write('usage: backends.ts <jwtgate.yaml> [jwks.json]\n');
  process.exit(2);
}

interface Config {
  gateway: {
    providers: Record<string, { jwks_uri?: string }>;
    routes: { name: string; upstream: string | string[]; identity_headers?: Record<string, string> }[];
  };
}
const { gateway } = parse(readFileSync(configFile, 'utf8')) as Config;
const identity = [...new Set(gateway.routes.flatMap((r) => Object.keys(r.identity_headers ?? {})))];

/** The identity headers the gateway set (each route names its own), and the path it forwarded. */
function seen(req: IncomingMessage): string {
  const headers = identity.map((h) => `${h}=${req.headers[h.toLowerCase()] ?? '-'}`);
  return `${[...headers, `path=${req.url}`].join(' ')}\n`;
}

function listen(url: URL, handler: Parameters<typeof createServer>[1], what: string): void {
  const server = createServer(handler);
  server.once('error', (err: NodeJS.ErrnoException) => {
    process.stderr.write(`backends: cannot listen on ${url.host} for ${what}: ${err.code ?? err.message}\n`);
    process.exit(1);
  });
  server.listen(Number(url.port), url.hostname, () =>
    process.stdout.write(`backends: ${what} listening on ${url.origin}\n`),
  );
  process.once('SIGTERM', () => server.close());
  process.once('SIGINT', () => server.close());
}

const upstreams = new Map<string, string[]>();
for (const route of gateway.routes)
  for (const target of [route.upstream].flat()) {
    const origin = new URL(target).origin;
    upstreams.set(origin, [...(upstreams.get(origin) ?? []), route.name]);
  }
for (const [origin, routes] of upstreams) {
  const name = `upstream of ${routes.join(', ')}`;
  listen(
    new URL(origin),
    (req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${routes.join('|')} saw ${seen(req)}`),
    name,
  );
}

if (jwksFile !== undefined) {
  const jwks = readFileSync(jwksFile, 'utf8');
  for (const [name, provider] of Object.entries(gateway.providers)) {
    if (provider.jwks_uri === undefined) continue;
    const url = new URL(provider.jwks_uri);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) continue;
    listen(
      url,
      (req, res) =>
        req.url === url.pathname
          ? res.writeHead(200, { 'content-type': 'application/json' }).end(jwks)
          : res.writeHead(404).end(),
      `JWKS of provider ${name}`,
    );
  }
}
