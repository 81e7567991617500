import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VerifiedToken } from '../create-verifier.ts';
import { compileGuard, type GuardOptions, sendDenial } from './guard.ts';

/** A node:http request after verification. */
export type AuthenticatedMessage = IncomingMessage & { auth: VerifiedToken };

/**
 * Wraps a node:http handler: it runs only for requests whose token verifies (and meets
 * `require`), with the result on `req.auth`; other requests get the RFC 6750 response.
 *
 * @example
 * http.createServer(withJwt({ verifier }, (req, res) => res.end(`hello ${req.auth.claims.sub}`)));
 */
export function withJwt(
  options: GuardOptions,
  handler: (req: AuthenticatedMessage, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  const guard = compileGuard(options);
  return (req, res) => {
    guard.check(req).then(
      (verified) => {
        (req as AuthenticatedMessage).auth = verified;
        return handler(req as AuthenticatedMessage, res);
      },
      (err) => sendDenial(res, guard.deny(err, req)),
    );
  };
}
