import { createVerifier, type JwtGateError, toJwtGateError, type VerifiedToken } from '@jwtgate/verify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
// The CLI's `token verify --explain` layout of the verify core's outcome: the same steps, no
// second implementation of a check (it is pure; see the report on moving it under src/lib).
import { explainSteps, type StepResult } from '../../lib/explain-steps.ts';
import { ownTokenPolicy } from '../tokens/verify-own-token.ts';
import { describeClaimTime } from './describe-time.ts';

export interface TokenTime {
  readonly claim: 'exp' | 'iat' | 'nbf';
  readonly iso: string;
  readonly relative: string;
}

export interface TokenExplanation {
  /** Null when the header or payload cannot be decoded. */
  readonly header: Record<string, unknown> | null;
  readonly claims: Record<string, unknown> | null;
  /** Why decoding failed, for the reader (never contains the token). */
  readonly malformed: string | null;
  readonly times: readonly TokenTime[];
  /** The audiences the verifier accepted. */
  readonly audiences: readonly string[];
  readonly valid: boolean;
  readonly code: string | null;
  readonly steps: readonly StepResult[];
}

export interface ExplainDeps {
  readonly issuerUrl: string;
  /** The keys the issuer publishes now. */
  readonly publicJwks: { readonly keys: readonly Record<string, unknown>[] };
  readonly isRevoked: (jti: string) => Promise<boolean>;
  readonly now: () => number;
}

const MAX_TOKEN_CHARS = 12 * 1024;

function decode(
  token: string,
): { header: Record<string, unknown>; claims: Record<string, unknown> } | string {
  if (token.length > MAX_TOKEN_CHARS) return `the token is longer than ${MAX_TOKEN_CHARS} characters`;
  if (token.split('.').length !== 3)
    return 'a JWT has three base64url parts separated by dots (header.payload.signature)';
  try {
    return { header: { ...decodeProtectedHeader(token) }, claims: { ...decodeJwt(token) } };
  } catch {
    return 'the header or the payload is not base64url-encoded JSON';
  }
}

/**
 * Decodes a token and runs the issuer's own verifier on it (ownTokenPolicy: signature with the
 * published keys, iss, typ at+jwt, exp/nbf/iat, sub, jti, client_id, and the revocation list),
 * laid out as the CLI's explained steps. `audience` empty: the audiences of the registered
 * clients (`knownAudiences`), else the token's own.
 *
 * @example
 * const x = await explainToken(token, 'https://billing.example', [], { issuerUrl, publicJwks, isRevoked, now });
 */
export async function explainToken(
  token: string,
  audience: string,
  knownAudiences: readonly string[],
  deps: ExplainDeps,
): Promise<TokenExplanation> {
  const decoded = decode(token);
  const header = typeof decoded === 'string' ? null : decoded.header;
  const claims = typeof decoded === 'string' ? null : decoded.claims;
  const nowMs = deps.now();
  const times: TokenTime[] = [];
  for (const claim of ['exp', 'iat', 'nbf'] as const) {
    const value = claims?.[claim];
    const relative = describeClaimTime(claim, value, nowMs);
    if (relative !== null)
      times.push({ claim, iso: new Date((value as number) * 1000).toISOString(), relative });
  }
  const tokenAud = claims?.aud;
  const ownAud = (Array.isArray(tokenAud) ? tokenAud : [tokenAud]).filter(
    (a): a is string => typeof a === 'string' && a !== '',
  );
  const audiences = audience !== '' ? [audience] : knownAudiences.length > 0 ? knownAudiences : ownAud;
  const jti = claims?.jti;
  const revoked = typeof jti === 'string' && jti !== '' ? await deps.isRevoked(jti) : false;
  let outcome: { verified: VerifiedToken } | { error: JwtGateError };
  try {
    const verifier = createVerifier({
      // A placeholder audience keeps the policy valid when none is known: the aud check then fails.
      providers: {
        self: ownTokenPolicy(deps.issuerUrl, deps.publicJwks, audiences.length > 0 ? audiences : ['(none)']),
      },
      isRevoked: () => revoked,
      now: deps.now,
    });
    outcome = { verified: await verifier.verify(token) };
  } catch (err) {
    outcome = { error: toJwtGateError(err) };
  }
  return {
    header,
    claims,
    malformed: typeof decoded === 'string' ? decoded : null,
    times,
    audiences,
    valid: 'verified' in outcome,
    code: 'error' in outcome ? outcome.error.code : null,
    steps: explainSteps(outcome, [
      'parse',
      'issuer',
      'algorithm',
      'key',
      'signature',
      'claims',
      'revocation',
    ]),
  };
}
