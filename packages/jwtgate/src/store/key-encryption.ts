import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CodedError, EXIT } from '../lib/coded-error.ts';

// Secrets the issuer must read back (private signing keys, users' TOTP secrets) are encrypted at
// rest with AES-256-GCM under a key encryption key (KEK) from the environment, so a copied
// database file (or backup) does not yield them. Each kind of secret is bound to its purpose (the
// AAD): a ciphertext of one cannot be passed off as the other.

export const KEY_ENCRYPTION_KEY_ENV = 'JWTGATE_KEY_ENCRYPTION_KEY';

/**
 * The stored private keys and the key encryption key do not go together: the key is missing,
 * malformed or wrong, or a stored key is damaged. A configuration problem (the CLI exits 78), never
 * with key material in the message.
 */
export class KeyEncryptionError extends CodedError {
  readonly code = 'ERR_KEY_ENCRYPTION';

  constructor(message: string) {
    super(message, { status: 500, exitCode: EXIT.config });
  }
}

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEK_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** What is encrypted: its AAD (with the format version), and how messages name it. */
export interface SecretPurpose {
  readonly aad: Buffer;
  readonly what: string;
}

export const PRIVATE_JWK: SecretPurpose = {
  aad: Buffer.from('jwtgate private-jwk enc:v1', 'utf8'),
  what: 'private signing key',
};
export const TOTP_SECRET: SecretPurpose = {
  aad: Buffer.from('jwtgate totp-secret enc:v1', 'utf8'),
  what: "user's TOTP secret",
};

/** The private JWK JSON as stored: `enc:v1:<iv>.<tag>.<ciphertext>` (base64url), or unchanged without a KEK. */
export function encryptPrivateJwk(json: string, kek: Buffer | null): string {
  return encryptAtRest(json, kek, PRIVATE_JWK);
}

/** The private JWK JSON from its stored form (see decryptAtRest). */
export function decryptPrivateJwk(stored: string, kek: Buffer | null): string {
  return decryptAtRest(stored, kek, PRIVATE_JWK);
}

/** `text` as stored for `purpose`: `enc:v1:<iv>.<tag>.<ciphertext>` (base64url), or unchanged without a KEK. */
export function encryptAtRest(text: string, kek: Buffer | null, purpose: SecretPurpose): string {
  if (kek === null) return text;
  assertKekLength(kek);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(purpose.aad);
  const ciphertext = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${PREFIX}${iv.toString('base64url')}.${tag.toString('base64url')}.${ciphertext.toString('base64url')}`;
}

/**
 * The text from its stored form. A value stored in the clear is returned as is even when a KEK is
 * set, so secrets stored before encryption was turned on stay usable. Errors never include the
 * secret.
 */
export function decryptAtRest(stored: string, kek: Buffer | null, purpose: SecretPurpose): string {
  if (!stored.startsWith('enc:')) return stored;
  if (!stored.startsWith(PREFIX)) {
    throw new KeyEncryptionError(`a ${purpose.what} is encrypted in an unknown format (expected enc:v1)`);
  }
  if (kek === null) {
    throw new KeyEncryptionError(`a ${purpose.what} is encrypted, but ${KEY_ENCRYPTION_KEY_ENV} is not set`);
  }
  assertKekLength(kek);
  const parts = stored.slice(PREFIX.length).split('.');
  const [iv, tag, ciphertext] = parts.map((part) => Buffer.from(part, 'base64url'));
  if (
    parts.length !== 3 ||
    iv?.length !== IV_BYTES ||
    tag?.length !== TAG_BYTES ||
    ciphertext === undefined
  ) {
    throw new KeyEncryptionError(
      `a stored ${purpose.what} is malformed (enc:v1 needs <iv>.<tag>.<ciphertext>)`,
    );
  }
  try {
    // authTagLength pins the tag to 16 bytes: GCM would otherwise accept a truncated tag.
    const decipher = createDecipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(purpose.aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyEncryptionError(
      `cannot decrypt a ${purpose.what}: wrong ${KEY_ENCRYPTION_KEY_ENV}, or the stored value was altered`,
    );
  }
}

/**
 * The KEK from `JWTGATE_KEY_ENCRYPTION_KEY` (base64 or base64url of 32 bytes), or null when unset.
 * A value that is set but unusable, even empty, is an error: silently storing keys in the clear
 * when the operator meant to encrypt them would be worse than refusing to start.
 */
export function loadKeyEncryptionKey(env: NodeJS.ProcessEnv = process.env): Buffer | null {
  const value = env[KEY_ENCRYPTION_KEY_ENV];
  if (value === undefined) return null;
  const text = value.trim();
  const kek = BASE64.test(text) ? Buffer.from(text, 'base64') : null;
  if (kek === null || kek.length !== KEK_BYTES) {
    // The length, never the value, so the message is safe to log.
    const got = kek === null ? 'text that is not base64' : `${kek.length} bytes`;
    throw new KeyEncryptionError(
      `${KEY_ENCRYPTION_KEY_ENV} must be base64 or base64url of exactly ${KEK_BYTES} bytes, got ${got} ` +
        '(generate one with: openssl rand -base64 32)',
    );
  }
  return kek;
}

function assertKekLength(kek: Buffer): void {
  if (kek.length !== KEK_BYTES) {
    throw new KeyEncryptionError(`the key encryption key must be ${KEK_BYTES} bytes, got ${kek.length}`);
  }
}
