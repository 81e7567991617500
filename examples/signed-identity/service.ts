// A service behind the gateway that trusts no identity header: it verifies the gateway's signed
// identity token (X-Jwtgate-Identity) with @jwtgate/verify, keys from the gateway's JWKS.
//   JWKS_URL=http://127.0.0.1:9901/.well-known/jwks.json npm run example:signed-identity
// Environment: JWKS_URL (the gateway admin listener's JWKS), ISSUER (the gateway's
// signed_identity.issuer), AUDIENCE (the route's name or its signed_identity.audience), PORT, HOST.
import { createServer, type ServerResponse } from 'node:http';
import { createVerifier } from '@jwtgate/verify';
import { withJwt } from '@jwtgate/verify/node-http';

const env = process.env;
const verifier = createVerifier({
  providers: {
    gateway: {
      issuer: env.ISSUER ?? 'https://gateway.example',
      audiences: [env.AUDIENCE ?? 'orders'],
      algorithms: ['ES256', 'EdDSA'],
      // http is accepted only to this machine; a gateway elsewhere publishes over https.
      jwksUri: env.JWKS_URL ?? 'http://127.0.0.1:9901/.well-known/jwks.json',
      tokenTypes: ['jwtgate-identity+jwt'],
      requireSub: true,
    },
  },
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const tokenFrom = [{ header: 'X-Jwtgate-Identity' }] as const;
const orders = withJwt({ verifier, tokenFrom, require: { rolesAny: ['orders'] } }, (req, res) => {
  const c = req.auth.claims;
  json(res, 200, { sub: c.sub, roles: c.roles, orig_iss: c.orig_iss, orders: [] });
});

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] as string;
  if (path === '/healthz') return json(res, 200, { ok: true });
  if (path.startsWith('/orders')) return orders(req, res);
  return json(res, 404, { error: 'not found' });
});

const port = Number(env.PORT ?? 7301);
const host = env.HOST ?? '127.0.0.1';
server.listen(port, host, () => process.stdout.write(`orders service on http://${host}:${port}\n`));
process.once('SIGTERM', () => server.close());
