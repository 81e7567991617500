import type { Authorizer, Requirement } from '../authorize.ts';
import type { VerifiedToken, Verifier } from '../create-verifier.ts';
import { readDpopCredentials, usesDpopScheme } from '../dpop/read-dpop-request.ts';
import { type JwtGateError, toJwtGateError } from '../errors.ts';
import { compileTokenExtractor, type RequestLike, type TokenSource } from '../extract-token.ts';
import { type ErrorResponse, toErrorResponse } from '../http-response.ts';

/** Options shared by every framework adapter. */
export interface GuardOptions {
  readonly verifier: Verifier;
  /** Where the token is read. Default: `Authorization: Bearer`. */
  readonly tokenFrom?: readonly TokenSource[];
  /** Providers that may accept the token. Default: all of the verifier's. */
  readonly providers?: readonly string[];
  /** Roles and scopes the route needs, read with each provider's roles claim path. */
  readonly require?: Requirement;
  /** RFC 6750 realm in WWW-Authenticate. */
  readonly realm?: string;
  /**
   * The origin clients address this server by, e.g. `https://api.example` (a DPoP proof's `htu`
   * is checked against it and the request path). Default: the connection's scheme and the Host
   * header, which behind a TLS terminator or a path-rewriting proxy is not what the client used.
   */
  readonly dpopOrigin?: string;
  /** Called with every denial (for logs); the client only sees the mapped response. */
  readonly onDenied?: (error: JwtGateError, request: RequestLike) => void;
}

/** The framework-free part of every adapter: extract, verify, authorize. */
export interface Guard {
  check(request: RequestLike): Promise<VerifiedToken>;
  deny(error: unknown, request: RequestLike): ErrorResponse;
}

/** Compiles adapter options once; the returned guard does the per-request work. */
export function compileGuard(options: GuardOptions): Guard {
  const { verifier, realm, onDenied } = options;
  const extract = compileTokenExtractor(options.tokenFrom);
  const call = options.providers ? { providers: [...options.providers] } : undefined;
  const authorizers = new Map<string, Authorizer>();
  if (options.require) {
    for (const name of options.providers ?? verifier.providers) {
      authorizers.set(name, verifier.compileRequirement(name, options.require));
    }
  }
  const scope = [...(options.require?.scopesAll ?? []), ...(options.require?.scopesAny ?? [])].join(' ');
  const origin = options.dpopOrigin?.replace(/\/$/, '');
  const names = options.providers ?? verifier.providers;
  const dpop = {
    algs: verifier.dpopAlgorithms,
    required: names.every((n) => verifier.dpopMode(n) === 'required'),
  };
  return {
    async check(request) {
      // RFC 9449 7.1: the DPoP scheme carries the token; everything else goes to the extractor.
      const credentials = readDpopCredentials(request, origin);
      const verified =
        credentials === undefined
          ? await verifier.verify(extract(request), call)
          : await verifier.verify(credentials.token, { ...call, dpop: credentials.presentation });
      authorizers.get(verified.provider)?.(verified.claims);
      return verified;
    },
    deny(error, request) {
      const err = toJwtGateError(error);
      try {
        onDenied?.(err, request);
      } catch {
        // A failing log hook must not stop the denial from being sent (nor crash the process).
      }
      return toErrorResponse(err, {
        ...(realm ? { realm } : {}),
        ...(scope ? { scope } : {}),
        dpop: { ...dpop, presented: usesDpopScheme(request) },
      });
    },
  };
}

/** Minimal response surface shared by node:http and Express. */
export interface ResponseLike {
  headersSent?: boolean;
  writeHead(status: number, headers: Readonly<Record<string, string>>): unknown;
  end(body: string): unknown;
}

/** Writes a denial as node:http/Express response. */
export function sendDenial(res: ResponseLike, response: ErrorResponse): void {
  if (res.headersSent) return;
  res.writeHead(response.status, response.headers);
  res.end(JSON.stringify(response.body));
}
