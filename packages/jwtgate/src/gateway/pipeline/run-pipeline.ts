import { answerPreflight } from './answer-preflight.ts';
import { authenticate } from './authenticate.ts';
import { authorize } from './authorize.ts';
import { checkClaims } from './check-claims.ts';
import { checkClientCertificate } from './check-client-certificate.ts';
import { checkFraming } from './check-framing.ts';
import { checkHost } from './check-host.ts';
import { checkMethodOverride } from './check-method-override.ts';
import { checkPath } from './check-path.ts';
import { matchRoute } from './match-route.ts';
import { rateLimit } from './rate-limit.ts';
import type { Denial, RequestState } from './request-state.ts';
import { signIdentity } from './sign-identity.ts';
import { upstreamHeaders } from './upstream-headers.ts';

/**
 * One step of the pipeline: undefined to go on, a Denial to stop there. A step that must wait
 * (a key fetch, Redis) returns a promise; the others answer at once, and the runner stays
 * synchronous as long as they do.
 */
export type Step = (s: RequestState) => Denial | undefined | Promise<Denial | undefined>;

/** What happens once the steps are done; one object per server, never per request. */
export interface Continuation {
  /** Every step passed: forward. */
  pass(s: RequestState): void;
  deny(s: RequestState, d: Denial): void;
  /** A step threw: an unexpected error (the answer is a 500; nothing is forwarded). */
  fail(s: RequestState, err: unknown): void;
}

/**
 * Everything between "a request arrived" and "send it upstream", in order, for plain requests
 * and WebSocket upgrades alike: strict framing -> path safety -> host -> CORS preflight (answered
 * here, before authentication) -> route (deny by default) -> client certificate (mTLS routes) ->
 * method override -> authenticate (who is this? the verify core decides) -> authorize (roles,
 * scopes) -> claim conditions -> rate limit -> what the upstream sees (headers, path) -> the signed identity token. Forwarding is the caller's
 * (`forward`, `forwardUpgrade`).
 */
export const PIPELINE: readonly Step[] = [
  checkFraming,
  checkPath,
  checkHost,
  answerPreflight,
  matchRoute,
  checkClientCertificate,
  checkMethodOverride,
  authenticate,
  authorize,
  checkClaims,
  rateLimit,
  upstreamHeaders,
  signIdentity,
];

/** Runs `steps` from `from` on, then calls `k`: synchronously, unless a step had to wait. */
export function runPipeline(steps: readonly Step[], s: RequestState, k: Continuation, from = 0): void {
  for (let i = from; i < steps.length; i++) {
    const out = (steps[i] as Step)(s);
    if (out === undefined) continue;
    if (out instanceof Promise) {
      out.then(
        (d) => (d === undefined ? runPipeline(steps, s, k, i + 1) : k.deny(s, d)),
        (err: unknown) => k.fail(s, err),
      );
      return;
    }
    k.deny(s, out);
    return;
  }
  k.pass(s);
}
