import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type JwtGateError, toErrorResponse, usesDpopScheme } from '@jwtgate/verify';
import type { Span } from '@opentelemetry/api';
import type { CompiledGateway, CompiledRoute } from '../config/compile-gateway.ts';
import type { GatewayError } from '../errors.ts';
import type { RequestTrace } from '../observe/request-spans.ts';
import type { Target } from '../upstream/upstream-targets.ts';
import type { Identity } from './authenticate.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// A request id is this process's random prefix (72 bits, new at every start, so unique across
// workers, replicas and restarts) and a counter: a string concatenation per request instead of
// 16 random bytes formatted as a UUID.
const PREFIX = `${randomBytes(9).toString('base64url')}-`;
let counter = 0;

/** A new request id, e.g. `q3Jf9xk2LmPa-1k7`: unique across processes and restarts. */
export function newRequestId(): string {
  counter++;
  return PREFIX + counter.toString(36);
}

/** The client's X-Request-Id when it is a safe value, else a new one (newRequestId). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
}

/**
 * One request on its way through the pipeline: what the steps found so far. One object per
 * request, filled in by the steps in order (a class, so every request has the same shape).
 */
export class RequestState {
  readonly req: IncomingMessage;
  /** The response of a plain request; null for an upgrade. */
  readonly res: ServerResponse | null;
  /** The client socket of an upgrade (WebSocket); null for a plain request. */
  readonly socket: Duplex | null;
  readonly g: CompiledGateway;
  readonly requestId: string;
  readonly now: () => number;
  /** performance.now() on arrival, for latency_ms. */
  readonly started: number;
  /** The path as sent (no query), once checkPath accepted it. */
  path = '';
  /** The query with its `?`, or ''. */
  query = '';
  /** The host routes match on (lower case, no port), once checkHost accepted it; '' when none was sent. */
  host = '';
  route: CompiledRoute | null = null;
  identity: Identity | undefined = undefined;
  /** The upstream's headers and its path (before the target's base path), set by upstreamHeaders. */
  headers: Record<string, string> | null = null;
  upstreamPath = '';
  target: Target | null = null;
  /** The verified client certificate's subject, once a route with `client_certificate` checked it. */
  clientSubject: string | null = null;
  /** The request's server span, when tracing is on. */
  trace: RequestTrace | null = null;
  /** Set once the outcome is logged and counted: a request is recorded once, whatever ends it. */
  recorded = false;
  /** The upstream's status, once its response started (forward). */
  upstreamStatus = 0;
  /** performance.now() when the request was sent upstream. */
  sentAt = 0;
  /** The upstream call's span, when tracing is on. */
  upstreamSpan: Span | null = null;

  constructor(
    req: IncomingMessage,
    res: ServerResponse | null,
    socket: Duplex | null,
    g: CompiledGateway,
    now: () => number,
    requestId: string = requestIdOf(req),
  ) {
    this.req = req;
    this.res = res;
    this.socket = socket;
    this.g = g;
    this.now = now;
    this.requestId = requestId;
    this.started = performance.now();
  }
}

/**
 * A request that stops at the gateway: the answer, and the reason code for logs and metrics. A
 * refusal, or (status 204, reason CORS_PREFLIGHT) a CORS preflight the gateway answered itself.
 */
export interface Denial {
  readonly ok: false;
  readonly status: number;
  readonly reason: string;
  readonly headers: Record<string, string>;
  readonly body: object;
  /** The answer to a CORS preflight: it carries its own CORS headers. */
  readonly preflight?: true;
  /** Set for ERR_INTERNAL: the original error, for the log only. */
  readonly cause?: unknown;
}

/** The answer to one of the gateway's own refusals: `{ error, message, request_id }`. */
export function gatewayDenial(s: RequestState, err: GatewayError): Denial {
  return {
    ok: false,
    status: err.status,
    reason: err.code,
    headers: { ...err.headers, 'x-request-id': s.requestId },
    body: { error: err.code, message: err.message, request_id: s.requestId },
  };
}

/**
 * The RFC 6750 answer to a token problem, with the route's scope on 403; a DPoP challenge
 * (RFC 9449 7.1) for a DPoP request, a DPoP error, or a missing token where only DPoP is taken.
 */
export function tokenDenial(s: RequestState, error: JwtGateError): Denial {
  const scope = s.route?.scope;
  const r = toErrorResponse(error, {
    requestId: s.requestId,
    ...(scope ? { scope } : {}),
    dpop: {
      algs: s.g.verifier.dpopAlgorithms,
      presented: usesDpopScheme(s.req),
      required: s.route?.dpopRequired === true,
    },
  });
  return {
    ok: false,
    status: r.status,
    reason: error.code,
    headers: { ...r.headers, 'x-request-id': s.requestId },
    body: r.body,
    ...(error.code === 'ERR_INTERNAL' ? { cause: error.cause } : {}),
  };
}
