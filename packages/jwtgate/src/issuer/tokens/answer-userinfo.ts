import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../../store/types.ts';
import { corsHeaders, requestOrigin } from '../protect/cors.ts';
import { checkDpopProof, DPOP_ALGORITHMS } from './check-dpop-proof.ts';
import type { OwnTokenVerifier } from './verify-own-token.ts';

export interface UserinfoDeps {
  /** The verifier of the keys published now. */
  readonly verifier: () => OwnTokenVerifier;
  readonly store: Store;
  /** The endpoint's URL as clients call it (a DPoP proof's htu). */
  readonly url: string;
  readonly now: () => number;
}

/** RFC 9449 7.1: the DPoP challenge names the algorithms a proof may use. */
const DPOP_CHALLENGE = `DPoP algs="${DPOP_ALGORITHMS.join(' ')}"`;

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
 * follow its scopes (profile: name, email: email). Errors follow RFC 6750 3.1. A DPoP-bound token
 * (`cnf.jkt`) is taken only with the DPoP scheme and a valid proof (RFC 9449 7): as a Bearer
 * token it is `invalid_token`, with a bad or missing proof `invalid_dpop_proof`. A browser app
 * reads the answer only from one of its client's web origins (an error, before the client is
 * known: from an origin some client registers).
 *
 * @example
 * if (path === '/userinfo') return answerUserinfo({ verifier: () => ownTokens.verifier, store, url, now }, req, res);
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
  const match = typeof header === 'string' ? /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(header) : null;
  if (match === null) {
    return header === undefined
      ? fail(
          401,
          { error: 'invalid_token', error_description: 'no access token' },
          `Bearer, ${DPOP_CHALLENGE}`,
        )
      : fail(400, { error: 'invalid_request' }, 'Bearer error="invalid_request"');
  }
  const dpop = (match[1] as string).toLowerCase() === 'dpop';
  const token = match[2] as string;
  const scheme = dpop ? 'DPoP' : 'Bearer';
  const invalid = (description = 'invalid access token') =>
    fail(
      401,
      { error: 'invalid_token', error_description: description },
      `${scheme} error="invalid_token"${dpop ? ` algs="${DPOP_ALGORITHMS.join(' ')}"` : ''}`,
    );
  let claims: Record<string, unknown>;
  try {
    claims = { ...(await deps.verifier().verify(token)) };
  } catch {
    return invalid();
  }
  if (await deps.store.revocations.isRevoked(String(claims.jti))) return invalid();
  const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
  // RFC 9449 7.2: a bound token is refused as a bearer token; the DPoP scheme needs a bound one.
  if (typeof jkt === 'string' && !dpop)
    return fail(
      401,
      {
        error: 'invalid_token',
        error_description: 'the access token is DPoP-bound: send it with the DPoP scheme and a proof',
      },
      `${DPOP_CHALLENGE}, error="invalid_token"`,
    );
  if (dpop) {
    if (typeof jkt !== 'string')
      return invalid('the access token is not DPoP-bound: send it as a Bearer token');
    const proof = req.headers.dpop;
    const outcome =
      typeof proof === 'string' && proof !== ''
        ? await checkDpopProof(
            deps.store,
            proof,
            { method: req.method ?? 'GET', url: deps.url, accessToken: token, jkt },
            deps.now,
          )
        : { ok: false as const, description: 'a DPoP proof is required (one DPoP header)' };
    if (!outcome.ok)
      return fail(
        401,
        { error: 'invalid_dpop_proof', error_description: outcome.description },
        `${DPOP_CHALLENGE}, error="invalid_dpop_proof"`,
      );
  }
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!scopes.includes('openid'))
    return fail(
      403,
      { error: 'insufficient_scope', error_description: 'the access token lacks the openid scope' },
      `${scheme} error="insufficient_scope", scope="openid"`,
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
