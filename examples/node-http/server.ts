// A minimal node:http service protected by @jwtgate/verify, no framework.
//   SECRET_KEY=... npm run example:node-http      (README.md: the commands to try it)
// Environment: SECRET_KEY (HS256) or JWKS_URL (asymmetric keys); ISSUER, AUDIENCE, PORT, HOST.
import { createServer, type ServerResponse } from 'node:http';
import { createVerifier } from '@jwtgate/verify';
import { withJwt } from '@jwtgate/verify/node-http';

const env = process.env;
// Where the keys come from: a JWKS URL (https, or http to this machine) or a shared secret.
const keys = env.JWKS_URL
  ? ({ jwksUri: env.JWKS_URL, algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'] } as const)
  : ({ secret: { env: 'SECRET_KEY' }, algorithms: ['HS256'] } as const);

const verifier = createVerifier({
  providers: {
    main: {
      issuer: env.ISSUER ?? 'jwtgo.io',
      audiences: [env.AUDIENCE ?? 'billing.jwtgo.io'],
      ...keys,
    },
  },
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

// withJwt runs the handler only for a request whose token verifies (and meets `require`).
const me = withJwt({ verifier }, (req, res) =>
  json(res, 200, { sub: req.auth.claims.sub, claims: req.auth.claims }),
);
const billing = withJwt({ verifier, require: { rolesAny: ['billing'] } }, (req, res) =>
  json(res, 200, { invoices: [], for: req.auth.claims.sub }),
);

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
  if (path === '/healthz') return json(res, 200, { ok: true });
  if (path === '/me') return me(req, res);
  if (path === '/billing') return billing(req, res);
  return json(res, 404, { error: 'not found' });
});

const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? '127.0.0.1';
server.listen(port, host, () => {
  process.stdout.write(`node:http example listening on http://${host}:${port}\n`);
});
process.once('SIGTERM', () => server.close());
