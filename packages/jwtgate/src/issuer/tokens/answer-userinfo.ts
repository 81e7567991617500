import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../../store/types.ts';
import { corsHeaders, requestOrigin } from '../protect/cors.ts';
import type { OwnTokenVerifier } from './verify-own-token.ts';

export interface UserinfoDeps {
  /** The verifier of the keys published now. */
  readonly verifier: () => OwnTokenVerifier;
  readonly store: Store;
}

function answer(
  res: ServerResponse,
  status: number,
  body: unknown,
  challenge: string | undefined,
  cors: Record<string, string>,
): void {
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      ...(challenge === undefined ? {} : { 'www-authenticate': challenge }),
      ...cors,
    })
    .end(JSON.stringify(body));
}

/**
 * OpenID Connect Core 5.3: the UserInfo endpoint, for the issuer's own JWT access tokens
 * (oidc-provider's accepts only opaque ones). The token must verify, not be revoked, carry the
 * `openid` scope, and name a user and a client that exist and are enabled; the claims released
 * follow its scopes (profile: name, email: email). Errors follow RFC 6750 3.1. A browser app
 * reads the answer only from one of its client's web origins (an error, before the client is
 * known: from an origin some client registers).
 *
 * @example
 * if (path === '/userinfo') return answerUserinfo({ verifier: () => ownTokens.verifier, store }, req, res);
 */
export async function answerUserinfo(
  deps: UserinfoDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    res.writeHead(405, { allow: 'GET, POST', 'cache-control': 'no-store' }).end();
    return;
  }
  const origin = requestOrigin(req);
  /** An error answer, readable by any registered origin (the token, and so its client, is not trusted). */
  const fail = async (status: number, body: unknown, challenge: string) =>
    answer(
      res,
      status,
      body,
      challenge,
      corsHeaders(origin, origin !== undefined && (await deps.store.clients.hasWebOrigin(origin))),
    );
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header) : null;
  if (match === null) {
    return header === undefined
      ? fail(401, { error: 'invalid_token', error_description: 'no access token' }, 'Bearer')
      : fail(400, { error: 'invalid_request' }, 'Bearer error="invalid_request"');
  }
  const invalid = () =>
    fail(
      401,
      { error: 'invalid_token', error_description: 'invalid access token' },
      'Bearer error="invalid_token"',
    );
  let claims: Record<string, unknown>;
  try {
    claims = { ...(await deps.verifier().verify(match[1] as string)) };
  } catch {
    return invalid();
  }
  if (await deps.store.revocations.isRevoked(String(claims.jti))) return invalid();
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!scopes.includes('openid'))
    return fail(
      403,
      { error: 'insufficient_scope', error_description: 'the access token lacks the openid scope' },
      'Bearer error="insufficient_scope", scope="openid"',
    );
  const [user, client] = await Promise.all([
    deps.store.users.get(String(claims.sub)),
    deps.store.clients.get(String(claims.client_id)),
  ]);
  if (user === undefined || user.disabled || client === undefined || client.disabled) return invalid();
  const allowed = origin !== undefined && (client.webOrigins ?? []).includes(origin);
  answer(
    res,
    200,
    {
      sub: user.id,
      ...(scopes.includes('profile') && user.name !== null ? { name: user.name } : {}),
      ...(scopes.includes('email') && user.email !== null ? { email: user.email } : {}),
    },
    undefined,
    corsHeaders(origin, allowed),
  );
}
