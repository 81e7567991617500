// The adapter contract: one table of requests sent over real sockets to an Express, a Fastify and
// a node:http server, each guarding the same routes with the same options. Every adapter must
// give the same answer to each request (status, WWW-Authenticate, Cache-Control, Retry-After,
// content type and body), and that answer must be the expected one.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { createExpressMiddleware } from '../../src/adapters/express.ts';
import { jwtGatePlugin } from '../../src/adapters/fastify.ts';
import type { GuardOptions } from '../../src/adapters/guard.ts';
import { type AuthenticatedMessage, withJwt } from '../../src/adapters/node-http.ts';
import type { Requirement } from '../../src/authorize.ts';
import { createVerifier, type VerifiedToken } from '../../src/create-verifier.ts';
import { makeKeyPair, NOW_MS, NOW_SECONDS, SECRET, secretBytes, signToken } from '../helpers/keys.ts';
import { AUDIENCE, baseUrl, closeServer, expiredToken, forgedToken, goodToken, ISSUER } from './fixtures.ts';

const REMOTE_ISSUER = 'https://remote.test';
const REALM = 'contract';

/** Routes and what each requires; every adapter guards the same ones. */
const ROUTES: Readonly<Record<string, Requirement | undefined>> = {
  '/any': undefined,
  '/admin': { rolesAny: ['admin'] },
  '/scoped': { scopesAll: ['invoices:read'] },
};

/** A port nothing listens on: the remote provider's JWKS is down. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
}

/** Headers the contract covers; framework extras (date, content-length, x-powered-by) are not part of it. */
const COMPARED = ['www-authenticate', 'cache-control', 'retry-after', 'content-type'] as const;

/** One request over a fresh connection, headers sent exactly as listed (repeats included). */
function send(base: string, path: string, headers: readonly [string, string][]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Headers as a flat list are sent as given, without the Host node adds otherwise (RFC 9112 3.2).
    const host: [string, string] = ['host', new URL(base).host];
    const req = httpRequest(`${base}${path}`, { headers: [host, ...headers].flat(), agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => {
        const picked: Record<string, string | undefined> = {};
        for (const name of COMPARED) {
          const v = res.headers[name];
          picked[name] = v === undefined ? undefined : String(v);
        }
        let body: unknown = text;
        if ((picked['content-type'] ?? '').includes('json')) body = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: picked, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** What a handler answers once the token verified: the same for every adapter. */
function granted(auth: VerifiedToken | null | undefined) {
  return { provider: auth?.provider, sub: auth?.claims.sub };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(baseUrl(server))));
}

describe('adapter contract: Express, Fastify and node:http answer alike', () => {
  const servers: Server[] = [];
  let fastify: FastifyInstance;
  const bases = new Map<string, string>();
  let remoteToken: string;

  before(async () => {
    const remoteKey = await makeKeyPair('ES256', 'remote-key');
    remoteToken = await signToken(remoteKey.privateKey, {
      alg: 'ES256',
      kid: 'remote-key',
      iss: REMOTE_ISSUER,
      claims: { sub: 'svc' },
    });
    const verifier = createVerifier({
      providers: {
        test: { issuer: ISSUER, audiences: [AUDIENCE], algorithms: ['HS256'], secret: SECRET },
        remote: {
          issuer: REMOTE_ISSUER,
          audiences: [AUDIENCE],
          algorithms: ['ES256'],
          jwksUri: `http://127.0.0.1:${await closedPort()}/jwks.json`,
          remote: { timeoutMs: 2000 },
        },
      },
      now: () => NOW_MS,
    });
    const optionsFor = (path: string): GuardOptions => {
      const require = ROUTES[path];
      return {
        verifier,
        realm: REALM,
        tokenFrom: [{ bearer: true }, { cookie: 'access_token' }],
        ...(require ? { require } : {}),
      };
    };

    const app = express();
    for (const path of Object.keys(ROUTES))
      app.get(path, createExpressMiddleware(optionsFor(path)), (req, res) => {
        res.json(granted((req as unknown as { auth: VerifiedToken }).auth));
      });
    const expressServer = createServer(app);
    servers.push(expressServer);
    bases.set('express', await listen(expressServer));

    const handlers = new Map(
      Object.keys(ROUTES).map((path) => [
        path,
        withJwt(optionsFor(path), (req: AuthenticatedMessage, res) => {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(granted(req.auth)));
        }),
      ]),
    );
    const nodeServer = createServer((req, res) => {
      const handler = handlers.get(req.url?.split('?')[0] ?? '');
      if (handler) handler(req, res);
      else res.writeHead(404).end();
    });
    servers.push(nodeServer);
    bases.set('node:http', await listen(nodeServer));

    fastify = Fastify();
    for (const path of Object.keys(ROUTES))
      fastify.register(async (scope) => {
        await scope.register(jwtGatePlugin, optionsFor(path));
        scope.get(path, async (req) => granted((req as unknown as { auth: VerifiedToken }).auth));
      });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    bases.set('fastify', baseUrl(fastify.server));
  });

  after(async () => {
    for (const s of servers) await closeServer(s);
    await fastify?.close();
  });

  interface Case {
    readonly name: string;
    readonly path?: string;
    readonly headers: () => Promise<[string, string][]>;
    readonly status: number;
    /** The error code in the body; undefined for a granted request. */
    readonly code?: string;
    readonly challenge?: string | RegExp;
    readonly body?: unknown;
  }

  const bearer = (token: string): [string, string][] => [['authorization', `Bearer ${token}`]];
  const invalidToken = `Bearer realm="${REALM}", error="invalid_token", error_description=`;
  const cases: Case[] = [
    {
      name: 'no token',
      headers: async () => [],
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      challenge: `Bearer realm="${REALM}"`,
    },
    {
      name: 'good token',
      headers: async () => bearer(await goodToken()),
      status: 200,
      body: { provider: 'test', sub: 'alice' },
    },
    {
      name: 'good token, scheme in lower case (RFC 7235 2.1)',
      headers: async () => [['authorization', `bearer ${await goodToken()}`]],
      status: 200,
      body: { provider: 'test', sub: 'alice' },
    },
    {
      name: 'good token in the cookie',
      headers: async () => [['cookie', `theme=dark; access_token=${await goodToken()}`]],
      status: 200,
      body: { provider: 'test', sub: 'alice' },
    },
    {
      name: 'expired',
      headers: async () => bearer(await expiredToken()),
      status: 401,
      code: 'ERR_TOKEN_EXPIRED',
      challenge: new RegExp(`^${invalidToken}`),
    },
    {
      name: 'wrong audience',
      headers: async () =>
        bearer(await signToken(secretBytes(), { alg: 'HS256', aud: 'api://other', claims: { sub: 'a' } })),
      status: 401,
      code: 'ERR_AUDIENCE_MISMATCH',
      challenge: new RegExp(`^${invalidToken}`),
    },
    {
      name: 'unknown issuer',
      headers: async () =>
        bearer(
          await signToken(secretBytes(), { alg: 'HS256', iss: 'https://evil.test', claims: { sub: 'a' } }),
        ),
      status: 401,
      code: 'ERR_ISSUER_MISMATCH',
      challenge: new RegExp(`^${invalidToken}`),
    },
    {
      name: 'forged signature',
      headers: async () => bearer(await forgedToken()),
      status: 401,
      code: 'ERR_SIGNATURE_INVALID',
      challenge: new RegExp(`^${invalidToken}`),
    },
    {
      name: 'alg none',
      headers: async () => {
        const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        return bearer(
          `${b64({ alg: 'none' })}.${b64({ iss: ISSUER, aud: AUDIENCE, exp: NOW_SECONDS + 60 })}.`,
        );
      },
      status: 401,
      code: 'ERR_ALG_NOT_ALLOWED',
      challenge: new RegExp(`^${invalidToken}`),
    },
    {
      name: 'not a JWT',
      headers: async () => bearer('abc.def'),
      status: 401,
      code: 'ERR_TOKEN_MALFORMED',
      challenge: new RegExp(`^${invalidToken}`),
    },
    {
      name: 'missing role',
      path: '/admin',
      headers: async () => bearer(await goodToken({ roles: ['reader'] })),
      status: 403,
      code: 'ERR_INSUFFICIENT_ROLE',
      challenge: new RegExp(`^Bearer realm="${REALM}", error="insufficient_scope"`),
    },
    {
      name: 'role present',
      path: '/admin',
      headers: async () => bearer(await goodToken({ roles: ['admin'] })),
      status: 200,
      body: { provider: 'test', sub: 'alice' },
    },
    {
      name: 'missing scope',
      path: '/scoped',
      headers: async () => bearer(await goodToken({ scope: 'invoices:write' })),
      status: 403,
      code: 'ERR_INSUFFICIENT_SCOPE',
      challenge: /error="insufficient_scope".*scope="invoices:read"/,
    },
    {
      name: 'repeated Authorization header',
      headers: async () => [
        ['authorization', `Bearer ${await goodToken()}`],
        ['authorization', `Bearer ${await forgedToken()}`],
      ],
      status: 400,
      code: 'ERR_INVALID_REQUEST',
      challenge: /^Bearer realm="contract", error="invalid_request"/,
    },
    {
      name: 'malformed Bearer value',
      headers: async () => [['authorization', `Bearer ${await goodToken()} extra`]],
      status: 400,
      code: 'ERR_INVALID_REQUEST',
      challenge: /error="invalid_request"/,
    },
    {
      name: 'Bearer without a token',
      headers: async () => [['authorization', 'Bearer ']],
      status: 400,
      code: 'ERR_INVALID_REQUEST',
      challenge: /error="invalid_request"/,
    },
    {
      name: 'token in two places (header and cookie)',
      headers: async () => [...bearer(await goodToken()), ['cookie', `access_token=${await goodToken()}`]],
      status: 400,
      code: 'ERR_INVALID_REQUEST',
      challenge: /error="invalid_request"/,
    },
    {
      name: 'repeated token cookie',
      headers: async () => [['cookie', `access_token=${await goodToken()}; access_token=x`]],
      status: 400,
      code: 'ERR_INVALID_REQUEST',
      challenge: /error="invalid_request"/,
    },
    {
      name: 'another scheme (Basic) is no bearer token',
      headers: async () => [['authorization', 'Basic YWxpY2U6c2VjcmV0']],
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      challenge: `Bearer realm="${REALM}"`,
    },
    {
      name: 'token in the query is not read unless configured',
      path: `/any?access_token=x`,
      headers: async () => [],
      status: 401,
      code: 'ERR_TOKEN_MISSING',
      challenge: `Bearer realm="${REALM}"`,
    },
    {
      name: 'oversized token',
      headers: async () => bearer(`${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`),
      status: 401,
      code: 'ERR_TOKEN_TOO_LARGE',
      challenge: new RegExp(`^${invalidToken}`),
    },
    {
      name: 'key source down',
      headers: async () => bearer(remoteToken),
      status: 503,
      code: 'ERR_KEY_SOURCE_UNAVAILABLE',
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const headers = await c.headers();
      const answers = new Map<string, Answer>();
      for (const [adapter, base] of bases) answers.set(adapter, await send(base, c.path ?? '/any', headers));
      const reference = answers.get('node:http') as Answer;
      for (const [adapter, answer] of answers)
        assert.deepEqual(answer, reference, `${adapter} differs from node:http`);
      assert.equal(reference.status, c.status);
      assert.match(reference.headers['content-type'] ?? '', /^application\/json/);
      if (c.code === undefined) {
        assert.deepEqual(reference.body, c.body);
        assert.equal(reference.headers['www-authenticate'], undefined);
        return;
      }
      assert.equal((reference.body as { error: string }).error, c.code);
      assert.equal(reference.headers['cache-control'], 'no-store');
      const www = reference.headers['www-authenticate'];
      if (c.challenge === undefined) assert.equal(www, undefined);
      else if (typeof c.challenge === 'string') assert.equal(www, c.challenge);
      else assert.match(www ?? '', c.challenge);
      if (c.status === 503) assert.match(reference.headers['retry-after'] ?? '', /^\d+$/);
    });
  }
});
