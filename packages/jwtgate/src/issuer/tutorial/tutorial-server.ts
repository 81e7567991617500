import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { IssuerError } from '../errors.ts';
import { mintTutorialToken, TUTORIAL } from './tutorial-token.ts';

/** RFC 7518 3.2: an HS256 key must be at least as long as the hash output, 32 bytes. */
export const MIN_SECRET_BYTES = 32;

/** SECRET_KEY from the environment; refuses an unset, empty or short one and says how to set one. */
export function readTutorialSecret(env: NodeJS.ProcessEnv): string {
  const secret = env.SECRET_KEY ?? '';
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) {
    const what =
      env.SECRET_KEY === undefined ? 'is not set' : bytes === 0 ? 'is empty' : `is only ${bytes} bytes`;
    throw new IssuerError(
      'ERR_ISSUER_CONFIG',
      `SECRET_KEY ${what}; HS256 needs a secret of at least ${MIN_SECRET_BYTES} bytes. ` +
        'Set one, e.g.: export SECRET_KEY="$(openssl rand -base64 48)"',
    );
  }
  return secret;
}

/**
 * The tutorial's jwt_client, fixed: `GET /` answers a plain-text HS256 token signed with
 * SECRET_KEY, with `authorized: true`, `client`, `aud: billing.jwtgo.io`, `iss: jwtgo.io` and
 * `exp` one minute ahead. Nothing else is served.
 */
export function createTutorialHandler(secret: string, log: Logger, lifetimeSeconds = 60) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      return;
    }
    mintTutorialToken(secret, lifetimeSeconds).then(
      (token) => {
        log.info({ client: TUTORIAL.client }, 'tutorial token issued');
        res
          .writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
          .end(token);
      },
      (err: Error) => {
        log.error({ err: err.message }, 'tutorial token not issued');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Server Error\n');
      },
    );
  };
}
