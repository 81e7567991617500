import type { VerifiedToken } from '../create-verifier.ts';
import type { RequestLike } from '../extract-token.ts';
import { compileGuard, type GuardOptions, type ResponseLike, sendDenial } from './guard.ts';

/** The request after the middleware: the verified token is on `req.auth`. */
export interface AuthenticatedRequest extends RequestLike {
  auth?: VerifiedToken;
}

// Express's own Request type gets `auth` (express-serve-static-core's Request extends the global
// Express.Request): importing this adapter is enough for `req.auth.claims` to type-check. It is
// set only on routes behind the middleware, which answers for every request it does not pass.
declare global {
  namespace Express {
    interface Request {
      /** The verified token, set by `createExpressMiddleware`. */
      auth: VerifiedToken;
    }
  }
}

/**
 * Express middleware: verifies the request's token and puts the result on `req.auth`, or answers
 * with the RFC 6750 response (401/403/400/503) and does not call `next`.
 *
 * @example
 * app.get('/billing', createExpressMiddleware({ verifier, require: { rolesAny: ['billing'] } }), handler);
 */
export function createExpressMiddleware(options: GuardOptions) {
  const guard = compileGuard(options);
  return (req: AuthenticatedRequest, res: ResponseLike, next: (err?: unknown) => void): void => {
    guard.check(req).then(
      (verified) => {
        req.auth = verified;
        next();
      },
      (err) => sendDenial(res, guard.deny(err, req)),
    );
  };
}
