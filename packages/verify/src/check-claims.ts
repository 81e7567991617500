import { fail } from './errors.ts';
import type { JwtClaims, JwtHeader } from './parse-token.ts';

/** The claim rules of one provider, compiled once from its options. */
export interface ClaimPolicy {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** `any`: the token's aud holds at least one of `audiences`; `all`: it holds every one. */
  readonly audienceMode: 'any' | 'all';
  /** Lower-case media types without `application/`; empty = no typ check. */
  readonly tokenTypes: readonly string[];
  readonly leewaySeconds: number;
  readonly maxTokenAgeSeconds: number | undefined;
  readonly requireExp: boolean;
  readonly requireSub: boolean;
  readonly requiredClaims: readonly string[];
}

/** RFC 7519 2 NumericDate: a JSON number; fractions allowed; 1e400 (Infinity) is not a date. */
function numericDate(claims: JwtClaims, name: 'exp' | 'nbf' | 'iat'): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw fail('ERR_CLAIM_INVALID', name);
  return value;
}

/** RFC 9068 4 / RFC 8725 3.11: `typ` compared case-insensitively, `application/` optional. */
export function normalizeType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice(12) : lower;
}

function checkAudience(policy: ClaimPolicy, aud: unknown): void {
  // RFC 7519 4.1.3: aud is a string or an array of strings.
  if (typeof aud !== 'string' && !Array.isArray(aud)) {
    throw fail('ERR_AUDIENCE_MISMATCH', aud === undefined ? 'aud missing' : 'aud not a string or array');
  }
  // 'any': the first wanted audience held decides; 'all': the first one missing does.
  const all = policy.audienceMode === 'all';
  const audiences = policy.audiences;
  for (let i = 0; i < audiences.length; i++) {
    const wanted = audiences[i] as string;
    const held = typeof aud === 'string' ? aud === wanted : aud.includes(wanted);
    if (held !== all) {
      if (held) return;
      throw fail('ERR_AUDIENCE_MISMATCH');
    }
  }
  if (!all) throw fail('ERR_AUDIENCE_MISMATCH');
}

/**
 * Checks the claims of a token whose signature has already been verified. Times are in seconds;
 * `nowSeconds` is whole seconds, as in jose, so both agree on boundaries.
 * Returns the last second (exclusive) at which the token is still valid, for caches.
 */
export function checkClaims(
  policy: ClaimPolicy,
  header: JwtHeader,
  claims: JwtClaims,
  nowSeconds: number,
): number {
  // RFC 7519 4.1.1: iss is compared as a case-sensitive string, never a prefix or substring.
  if (claims.iss !== policy.issuer) throw fail('ERR_ISSUER_MISMATCH');
  const leeway = policy.leewaySeconds;
  let validUntil = Number.POSITIVE_INFINITY;
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) {
    if (policy.requireExp) throw fail('ERR_CLAIM_MISSING', 'exp');
  } else {
    // RFC 7519 4.1.4: must not be accepted on or after exp.
    if (exp <= nowSeconds - leeway) throw fail('ERR_TOKEN_EXPIRED');
    validUntil = exp + leeway;
  }
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > nowSeconds + leeway) throw fail('ERR_TOKEN_NOT_YET_VALID');
  const iat = numericDate(claims, 'iat');
  if (iat !== undefined && iat > nowSeconds + leeway) throw fail('ERR_TOKEN_ISSUED_IN_FUTURE');
  if (policy.maxTokenAgeSeconds !== undefined) {
    if (iat === undefined) throw fail('ERR_CLAIM_MISSING', 'iat');
    const last = iat + policy.maxTokenAgeSeconds + leeway;
    if (nowSeconds > last) throw fail('ERR_TOKEN_TOO_OLD');
    // Accepted while floor(now) <= last, i.e. now < floor(last) + 1 (iat may be fractional).
    validUntil = Math.min(validUntil, Math.floor(last) + 1);
  }
  checkAudience(policy, claims.aud);
  if (policy.tokenTypes.length > 0) {
    const typ = header.typ;
    if (typ === undefined || !policy.tokenTypes.includes(normalizeType(typ)))
      throw fail('ERR_TOKEN_TYPE_MISMATCH');
  }
  if (policy.requireSub && (typeof claims.sub !== 'string' || claims.sub === ''))
    throw fail('ERR_CLAIM_MISSING', 'sub');
  if (claims.sub !== undefined && typeof claims.sub !== 'string') throw fail('ERR_CLAIM_INVALID', 'sub');
  if (claims.jti !== undefined && typeof claims.jti !== 'string') throw fail('ERR_CLAIM_INVALID', 'jti');
  const required = policy.requiredClaims;
  for (let i = 0; i < required.length; i++) {
    const name = required[i] as string;
    if (!Object.hasOwn(claims, name)) throw fail('ERR_CLAIM_MISSING', name);
  }
  return validUntil;
}
