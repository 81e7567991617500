import type { ConfigPath, ConfigProblems } from '../config/config-source.ts';
import { toMs } from '../config/duration.ts';
import type { CorsConfig } from '../config/types.ts';
import { HEADER_NAME } from '../headers/header-policy.ts';
import { compileOriginMatcher, originProblem } from './match-origin.ts';

/** What a preflight asked for, and the answer. */
export type PreflightAnswer =
  | { readonly ok: true; readonly headers: Record<string, string> }
  | {
      readonly ok: false;
      readonly code:
        | 'ERR_CORS_ORIGIN_NOT_ALLOWED'
        | 'ERR_CORS_METHOD_NOT_ALLOWED'
        | 'ERR_CORS_HEADER_NOT_ALLOWED';
      readonly headers: Record<string, string>;
    };

/** One CORS block, compiled once: nothing is parsed or decided per request beyond lookups. */
export interface CorsPolicy {
  /** The answer to a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`). */
  preflight(origin: string, method: string, requestHeaders: string | undefined): PreflightAnswer;
  /** The CORS headers of any other answer: `Vary` always, the rest only for an allowed origin. */
  responseHeaders(origin: string | undefined): Record<string, string>;
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
// Fetch: these never need to be allowed (CORS-safelisted request headers, as far as a name goes).
const SAFELISTED = new Set(['accept', 'accept-language', 'content-language']);

export interface CorsSpec {
  readonly config: CorsConfig;
  /** The route's `match.methods` (default for `allow_methods`). */
  readonly routeMethods: readonly string[] | undefined;
  /** Headers the route's providers read tokens from (added to the default `allow_headers`). */
  readonly tokenHeaders: readonly string[];
}

/** Compiles a CORS block at `at`; null, with the problems recorded, when it cannot be. */
export function compileCors(spec: CorsSpec, at: ConfigPath, problems: ConfigProblems): CorsPolicy | null {
  const c = spec.config;
  const credentials = c.allow_credentials === true;
  const before = problems.count;
  c.allow_origins.forEach((o, i) => {
    const problem = originProblem(o);
    if (problem !== null) problems.add([...at, 'allow_origins', i], problem);
  });
  // Fetch: with credentials a browser refuses `*`; saying both is a mistake to catch at load.
  for (const key of ['allow_origins', 'allow_headers', 'expose_headers'] as const)
    if (credentials && c[key]?.includes('*'))
      problems.add(
        [...at, key],
        `"*" cannot be combined with allow_credentials: list the ${key === 'allow_origins' ? 'origins' : 'headers'}`,
      );
  for (const key of ['allow_headers', 'expose_headers'] as const)
    c[key]?.forEach((h, i) => {
      if (h !== '*' && !HEADER_NAME.test(h))
        problems.add([...at, key, i], `"${h}" is not a valid header name`);
    });
  if (problems.count > before) return null;

  const anyOrigin = c.allow_origins.length === 1 && c.allow_origins[0] === '*';
  const allowed = compileOriginMatcher(c.allow_origins);
  const methods = c.allow_methods ?? spec.routeMethods ?? DEFAULT_METHODS;
  const methodSet = new Set(methods);
  const methodList = methods.join(', ');
  const anyHeader = c.allow_headers?.includes('*') === true;
  const headerSet = new Set(
    (c.allow_headers ?? ['authorization', 'content-type', ...spec.tokenHeaders]).map((h) => h.toLowerCase()),
  );
  const maxAge = c.max_age === undefined ? null : String(Math.floor(toMs(c.max_age) / 1000));
  const expose = c.expose_headers?.length ? c.expose_headers.join(', ') : null;

  const allowOrigin = (origin: string, out: Record<string, string>) => {
    // With any origin and no credentials the answer is the same for everyone: `*`.
    out['access-control-allow-origin'] = anyOrigin && !credentials ? '*' : origin;
    if (credentials) out['access-control-allow-credentials'] = 'true';
  };
  const vary = anyOrigin && !credentials ? null : 'Origin';
  const preflightVary = `${vary ? 'Origin, ' : ''}Access-Control-Request-Method, Access-Control-Request-Headers`;

  return Object.freeze({
    preflight(origin: string, method: string, requested: string | undefined): PreflightAnswer {
      const headers: Record<string, string> = { vary: preflightVary };
      if (!allowed(origin)) return { ok: false, code: 'ERR_CORS_ORIGIN_NOT_ALLOWED', headers };
      if (!methodSet.has(method)) return { ok: false, code: 'ERR_CORS_METHOD_NOT_ALLOWED', headers };
      const asked =
        requested === undefined || requested.trim() === ''
          ? []
          : requested.split(',').map((h) => h.trim().toLowerCase());
      for (const h of asked)
        if (!SAFELISTED.has(h) && !(anyHeader && h !== 'authorization') && !headerSet.has(h))
          return { ok: false, code: 'ERR_CORS_HEADER_NOT_ALLOWED', headers };
      allowOrigin(origin, headers);
      headers['access-control-allow-methods'] = methodList;
      // Fetch: `*` does not cover Authorization, so the headers asked for are named back.
      if (asked.length > 0) headers['access-control-allow-headers'] = asked.join(', ');
      if (maxAge !== null) headers['access-control-max-age'] = maxAge;
      return { ok: true, headers };
    },
    responseHeaders(origin: string | undefined): Record<string, string> {
      const out: Record<string, string> = vary ? { vary } : {};
      if (origin === undefined || !allowed(origin)) return out;
      allowOrigin(origin, out);
      if (expose !== null) out['access-control-expose-headers'] = expose;
      return out;
    },
  });
}
