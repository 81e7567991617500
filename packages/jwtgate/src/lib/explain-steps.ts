import { ERROR_CODES, type ErrorCode, type JwtGateError, type VerifiedToken } from '@jwtgate/verify';
import { describeTime } from './describe-time.ts';

/**
 * The verify core's checks, in the order it runs them. The core stops at the first failure and its
 * error code says which check that was, so the CLI needs no second implementation of any check:
 * every step before the failing one passed, every step after it was not reached.
 */
export const STEPS = [
  { id: 'parse', title: 'parse: size, three base64url segments, JSON objects without duplicate names' },
  { id: 'issuer', title: 'issuer: iss names an accepted provider' },
  { id: 'algorithm', title: "algorithm: alg is one the provider lists (never 'none')" },
  { id: 'key', title: 'key: a trusted key of the provider matches kid and alg' },
  { id: 'signature', title: 'signature' },
  { id: 'claims', title: 'claims: exp, nbf, iat, max age, aud, typ, sub, jti, required claims' },
  { id: 'delegation', title: 'delegation: the act chain the provider accepts (when it has a policy)' },
  { id: 'revocation', title: 'revocation: jti not revoked' },
  {
    id: 'binding',
    title: 'binding: a DPoP-bound token only with the DPoP scheme and a proof for this request (RFC 9449)',
  },
  { id: 'authorization', title: 'roles, scopes and sign-in methods the route requires' },
] as const;

export type StepId = (typeof STEPS)[number]['id'] | 'extract';

const STEP_OF_CODE: Record<ErrorCode, StepId | null> = {
  ERR_TOKEN_MISSING: 'extract',
  ERR_INVALID_REQUEST: 'extract',
  ERR_TOKEN_TOO_LARGE: 'parse',
  ERR_TOKEN_MALFORMED: 'parse',
  ERR_HEADER_UNSUPPORTED: 'parse',
  ERR_ISSUER_MISMATCH: 'issuer',
  ERR_ALG_NOT_ALLOWED: 'algorithm',
  ERR_KEY_NOT_FOUND: 'key',
  ERR_KEY_SOURCE_UNAVAILABLE: 'key',
  ERR_SIGNATURE_INVALID: 'signature',
  ERR_AUDIENCE_MISMATCH: 'claims',
  ERR_TOKEN_EXPIRED: 'claims',
  ERR_TOKEN_NOT_YET_VALID: 'claims',
  ERR_TOKEN_ISSUED_IN_FUTURE: 'claims',
  ERR_TOKEN_TOO_OLD: 'claims',
  ERR_TOKEN_TYPE_MISMATCH: 'claims',
  ERR_CLAIM_MISSING: 'claims',
  ERR_CLAIM_INVALID: 'claims',
  ERR_DELEGATION_REQUIRED: 'delegation',
  ERR_DELEGATION_TOO_DEEP: 'delegation',
  ERR_ACTOR_NOT_ALLOWED: 'delegation',
  ERR_TOKEN_REVOKED: 'revocation',
  ERR_INSUFFICIENT_ROLE: 'authorization',
  ERR_INSUFFICIENT_SCOPE: 'authorization',
  ERR_INSUFFICIENT_AUTHENTICATION: 'authorization',
  ERR_DPOP_TOKEN_BOUND: 'binding',
  ERR_DPOP_TOKEN_NOT_BOUND: 'binding',
  ERR_DPOP_REQUIRED: 'binding',
  ERR_DPOP_NOT_ACCEPTED: 'binding',
  ERR_DPOP_PROOF_MISSING: 'binding',
  ERR_DPOP_PROOF_MALFORMED: 'binding',
  ERR_DPOP_PROOF_TYPE: 'binding',
  ERR_DPOP_ALG_NOT_ALLOWED: 'binding',
  ERR_DPOP_KEY_INVALID: 'binding',
  ERR_DPOP_SIGNATURE_INVALID: 'binding',
  ERR_DPOP_METHOD_MISMATCH: 'binding',
  ERR_DPOP_URL_MISMATCH: 'binding',
  ERR_DPOP_PROOF_STALE: 'binding',
  ERR_DPOP_PROOF_REPLAYED: 'binding',
  ERR_DPOP_ATH_MISMATCH: 'binding',
  ERR_DPOP_KEY_MISMATCH: 'binding',
  ERR_DPOP_NONCE_REQUIRED: 'binding',
  ERR_DPOP_REPLAY_CACHE_UNAVAILABLE: 'binding',
  ERR_OPTIONS_INVALID: null,
  ERR_INTERNAL: null,
};

/** Which check a verify-core error code comes from (null: not a check of the token). */
export function stepOfCode(code: ErrorCode): StepId | null {
  return STEP_OF_CODE[code];
}

export interface StepResult {
  readonly step: string;
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'not reached';
  readonly code?: string;
  readonly explanation?: string;
  readonly detail?: string;
}

/** What the passed steps found, read from the verified token (for the reader, not re-checked). */
function passedDetail(id: StepId, v: VerifiedToken): string | undefined {
  switch (id) {
    case 'issuer':
      return `provider ${v.provider} (iss ${v.claims.iss})`;
    case 'algorithm':
      return v.alg;
    case 'key':
      return v.kid === undefined ? 'no kid' : `kid ${v.kid}`;
    case 'claims': {
      const parts = [`aud ${JSON.stringify(v.claims.aud)}`];
      if (v.claims.exp !== undefined) parts.push(`exp ${describeTime(v.claims.exp)}`);
      if (v.claims.sub !== undefined) parts.push(`sub ${v.claims.sub}`);
      return parts.join(', ');
    }
    default:
      return undefined;
  }
}

/**
 * Lays out the verification of one token as steps: passed up to the failing one (or all, when it
 * verified), then not reached. `steps` picks the ones that apply (no revocation list in
 * `token verify`, no route requirement outside `check`).
 */
export function explainSteps(
  outcome: { verified: VerifiedToken } | { error: JwtGateError },
  steps: readonly StepId[],
): StepResult[] {
  // A code from no listed step (an internal error, say) is shown at the first step.
  const code = 'error' in outcome ? stepOfCode(outcome.error.code) : null;
  const failedAt = code !== null && steps.includes(code) ? code : steps[0];
  let reached = true;
  const out: StepResult[] = [];
  for (const s of STEPS) {
    if (!steps.includes(s.id)) continue;
    if (!reached) {
      out.push({ step: s.id, title: s.title, status: 'not reached' });
    } else if ('error' in outcome && failedAt === s.id) {
      const e = outcome.error;
      out.push({
        step: s.id,
        title: s.title,
        status: 'failed',
        code: e.code,
        explanation: ERROR_CODES[e.code].message,
        ...(e.detail ? { detail: e.detail } : {}),
      });
      reached = false;
    } else {
      const detail = 'verified' in outcome ? passedDetail(s.id, outcome.verified) : undefined;
      out.push({ step: s.id, title: s.title, status: 'passed', ...(detail ? { detail } : {}) });
    }
  }
  return out;
}
