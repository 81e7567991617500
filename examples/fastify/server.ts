// A minimal Fastify service protected by @jwtgate/verify.
//   SECRET_KEY=... npm run example:fastify      (README.md: the commands to try it)
// Environment: SECRET_KEY (HS256) or JWKS_URL (asymmetric keys); ISSUER, AUDIENCE, PORT, HOST.
import { createVerifier } from '@jwtgate/verify';
import { jwtGatePlugin } from '@jwtgate/verify/fastify';
import Fastify from 'fastify';

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

const app = Fastify();

app.get('/healthz', async () => ({ ok: true }));

// The plugin guards the routes of the scope it is registered in (Fastify encapsulation), in
// onRequest: a request without a valid token is answered before its body is read. It sets
// req.auth, typed once the adapter is imported.
app.register(async (scope) => {
  await scope.register(jwtGatePlugin, { verifier });
  scope.get('/me', async (req) => ({ sub: req.auth.claims.sub, claims: req.auth.claims }));
});

app.register(async (scope) => {
  await scope.register(jwtGatePlugin, { verifier, require: { rolesAny: ['billing'] } });
  scope.get('/billing', async (req) => ({ invoices: [], for: req.auth.claims.sub }));
});

const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? '127.0.0.1';
await app.listen({ port, host });
process.stdout.write(`fastify example listening on http://${host}:${port}\n`);
process.once('SIGTERM', () => void app.close());
