// bench/gateway fastify row: what a team would write with Fastify's own plugins: @fastify/jwt
// (fast-jwt) verifying an HS256 token with the same checks the gateway's HS256 route makes
// (algorithm, issuer, audience, typ, expiry, scope `read`), the subject passed upstream as
// X-User-Id, and @fastify/http-proxy (undici) forwarding. No logging (Fastify's default).
//
//   node bench/gateway/servers/fastify-proxy.ts <port> <upstream origin> <workers> <issuer> <audience> <secret>

import cluster from 'node:cluster';
import proxy from '@fastify/http-proxy';
import jwt from '@fastify/jwt';
import Fastify from 'fastify';

const [port, origin, workers, issuer, audience, secret] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];

if (Number(workers) > 1 && cluster.isPrimary) {
  for (let i = 0; i < Number(workers); i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const app = Fastify({ logger: false });
  await app.register(jwt, {
    secret,
    verify: { algorithms: ['HS256'], allowedIss: issuer, allowedAud: audience, requiredClaims: ['exp'] },
  });
  app.addHook('onRequest', async (request, reply) => {
    try {
      const claims = await request.jwtVerify<{ sub?: string; scope?: string }>();
      if (
        !String(claims.scope ?? '')
          .split(' ')
          .includes('read')
      )
        return reply.code(403).send({ error: 'scope' });
    } catch {
      return reply.code(401).send({ error: 'invalid_token' });
    }
  });
  await app.register(proxy, {
    upstream: origin,
    replyOptions: {
      rewriteRequestHeaders: (request, headers) => ({
        ...headers,
        'x-user-id': String((request.user as { sub?: string }).sub ?? ''),
      }),
    },
  });
  await app.listen({ port: Number(port), host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close());
}
