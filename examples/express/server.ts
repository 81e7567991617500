// A minimal Express service protected by @jwtgate/verify.
//   SECRET_KEY=... npm run example:express      (README.md: the commands to try it)
// Environment: SECRET_KEY (HS256) or JWKS_URL (asymmetric keys); ISSUER, AUDIENCE, PORT, HOST.
import { createVerifier } from '@jwtgate/verify';
import { createExpressMiddleware } from '@jwtgate/verify/express';
import express, { type Request, type Response } from 'express';

const env = process.env;
// Where the keys come from: a JWKS URL (https, or http to this machine) or a shared secret.
const keys = env.JWKS_URL
  ? ({ jwksUri: env.JWKS_URL, algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'] } as const)
  : ({ secret: { env: 'SECRET_KEY' }, algorithms: ['HS256'] } as const);

// Created once: a wrong option (a short secret, an http JWKS URL to another host) fails here, at start.
const verifier = createVerifier({
  providers: {
    main: {
      issuer: env.ISSUER ?? 'jwtgo.io',
      audiences: [env.AUDIENCE ?? 'billing.jwtgo.io'],
      ...keys,
    },
  },
});

const app = express();

app.get('/healthz', (_req: Request, res: Response) => {
  res.json({ ok: true });
});

// Any valid token: the verified header and claims are on req.auth (typed once the adapter is imported).
app.get('/me', createExpressMiddleware({ verifier }), (req: Request, res: Response) => {
  res.json({ sub: req.auth.claims.sub, claims: req.auth.claims });
});

// A valid token carrying the role billing (read from the `roles` claim); else 403 insufficient_scope.
app.get(
  '/billing',
  createExpressMiddleware({ verifier, require: { rolesAny: ['billing'] } }),
  (req: Request, res: Response) => {
    res.json({ invoices: [], for: req.auth.claims.sub });
  },
);

const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? '127.0.0.1';
const server = app.listen(port, host, () => {
  process.stdout.write(`express example listening on http://${host}:${port}\n`);
});
process.once('SIGTERM', () => server.close());
