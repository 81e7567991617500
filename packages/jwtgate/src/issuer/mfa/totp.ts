import { Secret, TOTP } from 'otpauth';

// TOTP (RFC 6238) with the parameters every authenticator app supports: HMAC-SHA-1, 6 digits, a
// 30-second step (4.1, 5.2). The arithmetic is otpauth's; what is jwtgate's is the window (one
// step either side, 5.2's resynchronisation allowance for clock drift and typing time) and that a
// matched code names its step, so the caller can refuse a code of that step or an earlier one.

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted on either side of the current one. */
export const TOTP_WINDOW = 1;
/** RFC 4226 4 (R6): a shared secret of at least 128 bits; 160 bits is what it recommends. */
const SECRET_BYTES = 20;
const CODE = /^\d{6}$/;

/** A new shared secret, base32 (RFC 4648), 160 random bits. */
export function generateTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/**
 * The `otpauth://totp/...` URI an authenticator app reads from a QR code (Key Uri Format): the
 * issuer as the account's prefix and `issuer` parameter, the secret and the parameters above.
 *
 * @example
 * totpUri('JBSWY3DPEHPK3PXP', { issuer: 'auth.example', account: 'alice' });
 * // 'otpauth://totp/auth.example:alice?issuer=auth.example&secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30'
 */
export function totpUri(
  secret: string,
  label: { readonly issuer: string; readonly account: string },
): string {
  return new TOTP({
    issuer: label.issuer,
    label: label.account,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** A code as typed: spaces (authenticator apps show `123 456`) dropped. */
export function normalizeTotpCode(code: unknown): string {
  return typeof code === 'string' ? code.replace(/\s+/g, '') : '';
}

/**
 * The time step (RFC 6238 4.2, T) that `code` is the code of, within TOTP_WINDOW steps of `nowMs`;
 * null when it matches none (or is not six digits).
 *
 * @example
 * const step = matchTotpCode(secret, '123456', Date.now());
 * if (step !== null && (await store.totp.useStep(userId, step))) { ... }
 */
export function matchTotpCode(secret: string, code: string, nowMs: number): number | null {
  const token = normalizeTotpCode(code);
  if (!CODE.test(token)) return null;
  const delta = TOTP.validate({
    token,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    timestamp: nowMs,
    window: TOTP_WINDOW,
  });
  if (delta === null) return null;
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: nowMs }) + delta;
}
