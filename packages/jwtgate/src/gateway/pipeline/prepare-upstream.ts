import type { IncomingMessage } from 'node:http';
import type { CompiledGateway, CompiledRoute } from '../config/compile-gateway.ts';
import type { Target } from '../upstream/upstream-targets.ts';
import type { Identity } from './authenticate.ts';
import { type Denial, RequestState } from './request-state.ts';
import { PIPELINE, runPipeline } from './run-pipeline.ts';

export type { Denial };

/** What would be sent upstream, once the request has passed every step. */
export interface Forwarding {
  readonly ok: true;
  readonly route: CompiledRoute;
  readonly verified: Identity | undefined;
  readonly target: Target;
  /** Upstream path with query, the token's query parameter removed unless forwarded. */
  readonly path: string;
  readonly headers: Record<string, string>;
}

/**
 * The gateway's decision on a request without forwarding it (for `jwtgate check` and tests): the
 * whole pipeline (runPipeline), then the target it would go to.
 */
export function prepareUpstream(
  req: IncomingMessage,
  g: CompiledGateway,
  requestId: string,
  now: () => number,
): Promise<Forwarding | Denial> {
  const s = new RequestState(req, null, null, g, now, requestId);
  return new Promise((resolve, reject) =>
    runPipeline(PIPELINE, s, {
      pass(s) {
        const route = s.route as CompiledRoute;
        const target = route.upstream.pick(now());
        resolve({
          ok: true,
          route,
          verified: s.identity,
          target,
          path: target.basePath + s.upstreamPath,
          headers: s.headers as Record<string, string>,
        });
      },
      deny: (_s, d) => resolve(d),
      fail: (_s, err) => reject(err),
    }),
  );
}
