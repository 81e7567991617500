// Types only (erased from the JavaScript): the module the augmentation below extends.
import type {} from 'fastify';
import type { VerifiedToken } from '../create-verifier.ts';
import type { DpopRequestLike } from '../dpop/read-dpop-request.ts';
import type { RequestLike } from '../extract-token.ts';
import { compileGuard, type GuardOptions } from './guard.ts';

// Fastify's own FastifyRequest gets `auth` once this adapter is imported (as @fastify/jwt adds
// `user`): set in onRequest on the routes the plugin guards, which never run without it.
declare module 'fastify' {
  interface FastifyRequest {
    /** The verified token, set by `jwtGatePlugin`. */
    auth: VerifiedToken;
  }
}

// Structural types: the adapter needs nothing from fastify at run time.
interface FastifyRequestLike extends RequestLike {
  auth?: VerifiedToken | null;
  readonly method?: string;
  /** node's request: Fastify's own has no `rawHeaders`. */
  readonly raw?: { readonly rawHeaders?: readonly string[]; readonly socket?: unknown };
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(body: unknown): FastifyReplyLike;
}
interface FastifyInstanceLike {
  decorateRequest(name: string, value: unknown): unknown;
  hasRequestDecorator(name: string): boolean;
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike | undefined>,
  ): unknown;
}

/**
 * Fastify plugin: verifies in `onRequest`, before any body is read, and sets `request.auth`.
 * Like every Fastify plugin it is encapsulated: it guards the routes registered in its scope.
 *
 * @example
 * app.register(async (scope) => {
 *   await scope.register(jwtGatePlugin, { verifier, require: { scopesAny: ['read'] } });
 *   scope.get('/data', async (req) => req.auth.claims);
 * });
 */
export async function jwtGatePlugin(fastify: FastifyInstanceLike, options: GuardOptions): Promise<void> {
  const guard = compileGuard(options);
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
  fastify.addHook('onRequest', async (request, reply) => {
    try {
      // The raw header list shows a repeated Authorization line, which `headers` hides (node keeps
      // the first): the core refuses it, as it does under Express and node:http.
      const seen: DpopRequestLike = {
        headers: request.headers,
        url: request.url,
        method: request.method,
        socket: request.raw?.socket,
        rawHeaders: request.raw?.rawHeaders ?? request.rawHeaders,
      };
      request.auth = await guard.check(seen);
      return undefined;
    } catch (err) {
      const { status, headers, body } = guard.deny(err, request);
      return reply
        .code(status)
        .headers({ ...headers })
        .send(body);
    }
  });
}

// Like fastify-plugin: without this Fastify would wrap the plugin in its own child context, and its
// onRequest hook would guard no route at all (not even those registered next to it in the same scope).
Object.defineProperty(jwtGatePlugin, Symbol.for('skip-override'), { value: true });
