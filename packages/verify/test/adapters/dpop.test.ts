// The DPoP scheme through the adapters, over real HTTP: node:http, Express and Fastify each take
// `Authorization: DPoP <token>` with a proof for the URL the client called, refuse the same
// token as Bearer with a DPoP challenge, and a replayed proof with invalid_dpop_proof.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { createExpressMiddleware } from '../../src/adapters/express.ts';
import { jwtGatePlugin } from '../../src/adapters/fastify.ts';
import { withJwt } from '../../src/adapters/node-http.ts';
import { type DpopFixture, dpopFixture } from '../dpop/dpop-helpers.ts';
import { baseUrl, closeServer } from './fixtures.ts';

describe('the DPoP scheme in the adapters', async () => {
  const f: DpopFixture = await dpopFixture();
  const servers: Record<string, Server> = {};

  before(async () => {
    const verifier = f.verifier();
    servers.node = createServer(
      withJwt({ verifier }, (req, res) => res.end(`node ${req.auth.binding?.type}`)),
    );
    const app = express();
    app.use(
      '/api',
      express.Router().get('/orders', createExpressMiddleware({ verifier }), (req, res) => {
        res.end(`express ${req.auth.binding?.type}`);
      }),
    );
    servers.express = createServer(app);
    const fastify = Fastify();
    await fastify.register(async (scope) => {
      await scope.register(jwtGatePlugin, { verifier });
      scope.get('/api/orders', async (req) => `fastify ${req.auth.binding?.type}`);
    });
    await fastify.ready();
    servers.fastify = createServer((req, res) => fastify.routing(req, res));
    for (const s of Object.values(servers)) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    for (const s of Object.values(servers)) await closeServer(s);
  });

  for (const name of ['node', 'express', 'fastify']) {
    test(`${name}: a fresh proof passes, Bearer and a replay are refused`, async () => {
      const url = `${baseUrl(servers[name] as Server)}/api/orders`;
      const proof = await f.client.proof({ url, token: f.bound });
      const ok = await fetch(`${url}?page=1`, { headers: { authorization: `DPoP ${f.bound}`, dpop: proof } });
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), `${name} dpop`);
      const replay = await fetch(url, { headers: { authorization: `DPoP ${f.bound}`, dpop: proof } });
      assert.equal(replay.status, 401);
      assert.match(
        replay.headers.get('www-authenticate') ?? '',
        /^DPoP error="invalid_dpop_proof", .*algs="/,
      );
      assert.equal(((await replay.json()) as { error: string }).error, 'ERR_DPOP_PROOF_REPLAYED');
      const bearer = await fetch(url, { headers: { authorization: `Bearer ${f.bound}` } });
      assert.equal(bearer.status, 401);
      assert.match(bearer.headers.get('www-authenticate') ?? '', /^DPoP error="invalid_token"/);
      assert.equal(((await bearer.json()) as { error: string }).error, 'ERR_DPOP_TOKEN_BOUND');
      // A proof alone is no credential.
      const alone = await fetch(url, { headers: { dpop: await f.client.proof({ url, token: f.bound }) } });
      assert.equal(alone.status, 401);
      assert.equal(((await alone.json()) as { error: string }).error, 'ERR_TOKEN_MISSING');
    });
  }
});
