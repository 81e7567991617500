import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How user passwords are hashed: argon2id with OWASP's recommended minimum (Password Storage Cheat
 * Sheet: m=19 MiB, t=2, p=1). argon2id is the RFC 9106 recommendation: memory-hard against GPU and
 * ASIC guessing, with argon2i's side-channel resistance in its first pass. These values cost about
 * as much as the cheat sheet's other equivalent settings while keeping a login near a few tens of
 * milliseconds and 19 MiB, so a burst of logins cannot exhaust the issuer's memory. The salt is
 * 16 bytes (RFC 9106 3.1 recommends 128 bits) and the tag 32 bytes. Changing a value here makes
 * `verifyPassword` answer `needsRehash` for older hashes, so they are upgraded at the next login.
 *
 * @example
 * ARGON2_PARAMS.memory; // 19456 (KiB)
 */
export const ARGON2_PARAMS = Object.freeze({
  algorithm: 'argon2id',
  /** Argon2 version 0x13 (1.3), the PHC `v=19`. */
  version: 19,
  /** KiB. */
  memory: 19_456,
  passes: 2,
  parallelism: 1,
  saltLength: 16,
  tagLength: 32,
} as const);

/** Password length limits, in Unicode code points (NIST SP 800-63B 5.1.1.2: at least 8). */
export const PASSWORD_MIN_LENGTH = 8;
/** Long enough for any passphrase; short enough that hashing one is no denial of service. */
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * What is wrong with `password` as a new password, or null when it is acceptable. Only length is
 * checked (NIST SP 800-63B 5.1.1.2 advises against composition rules).
 *
 * @example
 * checkPasswordPolicy('short'); // 'a password needs at least 8 characters'
 */
export function checkPasswordPolicy(password: string): string | null {
  if (typeof password !== 'string') return 'a password must be a string';
  const length = codePoints(normalizePassword(password));
  if (length < PASSWORD_MIN_LENGTH) return `a password needs at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `a password may have at most ${PASSWORD_MAX_LENGTH} characters`;
  return null;
}

/**
 * The PHC string of `password` with ARGON2_PARAMS and a fresh salt:
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (base64 without padding). Does not apply the
 * policy: call checkPasswordPolicy first for a new password.
 *
 * @example
 * const passwordHash = await hashPassword('correct horse battery staple');
 */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== 'string') throw new TypeError('jwtgate: the password must be a string');
  const params: PhcParams = {
    memory: ARGON2_PARAMS.memory,
    passes: ARGON2_PARAMS.passes,
    parallelism: ARGON2_PARAMS.parallelism,
    salt: randomBytes(ARGON2_PARAMS.saltLength),
    tagLength: ARGON2_PARAMS.tagLength,
  };
  const tag = await derive(password, params);
  return formatPhc(params, tag);
}

export interface PasswordCheck {
  readonly ok: boolean;
  /** The password matched a hash made with other parameters than ARGON2_PARAMS: store a new hash. */
  readonly needsRehash: boolean;
}

const NO_MATCH: PasswordCheck = Object.freeze({ ok: false, needsRehash: false });

/**
 * Whether `password` matches the PHC string `hash`, compared in constant time. A malformed or
 * unsupported hash (or a password over the length limit) is `ok: false`; this never throws on
 * its inputs.
 *
 * @example
 * const { ok, needsRehash } = await verifyPassword(user.passwordHash, typed);
 * if (ok && needsRehash) await store.users.update(user.id, { passwordHash: await hashPassword(typed) });
 */
export async function verifyPassword(hash: string, password: string): Promise<PasswordCheck> {
  if (typeof password !== 'string' || password.length > PASSWORD_MAX_LENGTH * 2) return NO_MATCH;
  const params = parsePhc(hash);
  if (params === null) return NO_MATCH;
  let actual: Buffer;
  try {
    actual = await derive(password, { ...params, tagLength: params.expected.length });
  } catch {
    return NO_MATCH;
  }
  if (!timingSafeEqual(actual, params.expected)) return NO_MATCH;
  const needsRehash =
    params.memory !== ARGON2_PARAMS.memory ||
    params.passes !== ARGON2_PARAMS.passes ||
    params.parallelism !== ARGON2_PARAMS.parallelism ||
    params.salt.length !== ARGON2_PARAMS.saltLength ||
    params.expected.length !== ARGON2_PARAMS.tagLength;
  return { ok: true, needsRehash };
}

/**
 * Spends what verifying a password costs and answers no match: call it when there is no user of
 * that name, so the answer takes as long as for a real user and timing does not tell which names
 * exist. The hash it checks against is random bytes, which no password matches.
 *
 * @example
 * const user = await store.users.getByUsername(username);
 * const check = user ? await verifyPassword(user.passwordHash, password) : await dummyVerify(password);
 */
export async function dummyVerify(password: string): Promise<PasswordCheck> {
  await verifyPassword(DUMMY_HASH, password);
  return NO_MATCH;
}

/** Made with ARGON2_PARAMS once per process, from random bytes: costs the same as a real hash to check. */
const DUMMY_HASH = formatPhc(
  {
    memory: ARGON2_PARAMS.memory,
    passes: ARGON2_PARAMS.passes,
    parallelism: ARGON2_PARAMS.parallelism,
    salt: randomBytes(ARGON2_PARAMS.saltLength),
    tagLength: ARGON2_PARAMS.tagLength,
  },
  randomBytes(ARGON2_PARAMS.tagLength),
);

interface PhcParams {
  readonly memory: number;
  readonly passes: number;
  readonly parallelism: number;
  readonly salt: Buffer;
  readonly tagLength: number;
}

// Bounds on what a stored hash may ask for: a tampered or foreign hash must not make a login
// allocate gigabytes or spin for minutes. Argon2 itself needs m >= 8p and a salt of >= 8 bytes.
const LIMITS = { memory: 262_144, passes: 16, parallelism: 16, salt: [8, 64], tag: [16, 64] } as const;

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** The parameters, salt and expected tag of an argon2id PHC string, or null if it is not one we accept. */
function parsePhc(hash: unknown): (PhcParams & { readonly expected: Buffer }) | null {
  if (typeof hash !== 'string') return null;
  const match = PHC.exec(hash);
  if (match === null) return null;
  const [, m, t, p, salt64, tag64] = match as unknown as [string, string, string, string, string, string];
  const memory = Number(m);
  const passes = Number(t);
  const parallelism = Number(p);
  const salt = decodeB64(salt64);
  const expected = decodeB64(tag64);
  if (salt === null || expected === null) return null;
  if (parallelism < 1 || parallelism > LIMITS.parallelism) return null;
  if (passes < 1 || passes > LIMITS.passes) return null;
  if (memory < 8 * parallelism || memory > LIMITS.memory) return null;
  if (salt.length < LIMITS.salt[0] || salt.length > LIMITS.salt[1]) return null;
  if (expected.length < LIMITS.tag[0] || expected.length > LIMITS.tag[1]) return null;
  return { memory, passes, parallelism, salt, tagLength: expected.length, expected };
}

/** PHC's B64: standard base64 without padding. Null when not canonical (so one hash has one spelling). */
function decodeB64(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  return encodeB64(bytes) === text ? bytes : null;
}

function encodeB64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}

function formatPhc(params: PhcParams, tag: Buffer): string {
  return (
    `$argon2id$v=${ARGON2_PARAMS.version}$m=${params.memory},t=${params.passes},p=${params.parallelism}` +
    `$${encodeB64(params.salt)}$${encodeB64(tag)}`
  );
}

function derive(password: string, params: PhcParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: Buffer.from(normalizePassword(password), 'utf8'),
        nonce: params.salt,
        memory: params.memory,
        passes: params.passes,
        parallelism: params.parallelism,
        tagLength: params.tagLength,
      },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

// NIST SP 800-63B 5.1.1.2: normalize Unicode before hashing, so the same password typed on
// keyboards that produce different code point sequences (é as one or two) still matches.
function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
