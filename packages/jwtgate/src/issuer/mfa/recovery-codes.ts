import { Secret } from 'otpauth';
import { hashClientSecret } from '../../store/hash-secret.ts';

// One-time recovery codes: the way back in when the authenticator is lost. Each is 80 random bits
// (16 base32 characters, shown in groups of four), so, like client secrets, a fast hash is enough
// at rest: a leaked hash cannot be searched back to its code. They are shown once and only their
// hashes are kept.

export const RECOVERY_CODE_COUNT = 10;
const CODE_BYTES = 10;
const NORMALIZED = /^[A-Z2-7]{16}$/;

/** `count` new codes, as the user is shown them: `ABCD-EFGH-IJKL-MNOP`. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () =>
    (new Secret({ size: CODE_BYTES }).base32.match(/.{4}/g) as string[]).join('-'),
  );
}

/**
 * The stored hash of a code as typed (case, dashes and spaces do not matter), or null when it
 * cannot be a recovery code.
 */
export function hashRecoveryCode(code: unknown): string | null {
  if (typeof code !== 'string' || code.length > 64) return null;
  const normalized = code.toUpperCase().replace(/[\s-]+/g, '');
  return NORMALIZED.test(normalized) ? hashClientSecret(`recovery:${normalized}`) : null;
}
