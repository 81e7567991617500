// The gateway's own signing keys for signed identity tokens: generated, kept as files in the
// configured state directory (private keys mode 0600), rotated, and published as a JWKS.
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';

export type IdentityAlgorithm = 'ES256' | 'EdDSA';

/** How long a minted token may live at most (the schema's maximum of `signed_identity.lifetime`). */
export const MAX_IDENTITY_LIFETIME_MS = 3600_000;

interface KeyFile {
  readonly kid: string;
  readonly alg: IdentityAlgorithm;
  /** When it starts signing (ms), the start of its rotation period. */
  readonly start: number;
  readonly rotate_after_ms: number;
  readonly private_jwk: JWK;
}

/** The key that signs now. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: IdentityAlgorithm;
  readonly key: KeyObject;
}

export interface IdentityKeys {
  /** The key of the current period (rotated by `rotate()`). */
  current(): SigningKey;
  /** Makes the current period's key current (created if no process made it yet); prunes expired files. */
  rotate(): void;
  readonly dir: string;
}

const KEYS = 'signing-keys';
const fileName = (start: number, alg: IdentityAlgorithm) => `key-${start}-${alg}.json`;

function readKeyFiles(dir: string): KeyFile[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, KEYS));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => /^key-\d+-(ES256|EdDSA)\.json$/.test(n))
    .map((n) => JSON.parse(readFileSync(join(dir, KEYS, n), 'utf8')) as KeyFile);
}

/** A key's tokens are all expired once its period is over and the longest lifetime has passed. */
const publishedUntil = (k: KeyFile) => k.start + k.rotate_after_ms + MAX_IDENTITY_LIFETIME_MS;

/**
 * The public keys of every key whose tokens may still be valid, as a JWKS (RFC 7517): the
 * current one and, after a rotation, the previous ones until their last token has expired. Read
 * from the files, so the primary of `--workers N` publishes what its workers sign with.
 */
export function readIdentityJwks(dir: string, now: number): { keys: JWK[] } {
  const keys = readKeyFiles(dir)
    .filter((k) => publishedUntil(k) > now && k.start <= now + 60_000)
    .sort((a, b) => b.start - a.start)
    .map(({ kid, alg, private_jwk: { d: _d, ...pub } }) => ({ ...pub, kid, alg, use: 'sig' }));
  return { keys };
}

function createKeyFile(dir: string, alg: IdentityAlgorithm, start: number, rotateAfterMs: number): void {
  const { privateKey } =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const file: KeyFile = {
    kid: randomUUID(),
    alg,
    start,
    rotate_after_ms: rotateAfterMs,
    private_jwk: privateKey.export({ format: 'jwk' }) as JWK,
  };
  const tmp = join(dir, KEYS, `.${randomUUID()}.tmp`);
  writeFileSync(tmp, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
  try {
    // link, not rename: it fails when another process (a worker) made this period's key first.
    linkSync(tmp, join(dir, KEYS, fileName(start, alg)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Opens (creating when needed, synchronously: at start and once per period) the key ring in `dir`: one key per period of `rotateAfterMs`,
 * named by the period's start, so processes sharing the directory sign with the same key.
 */
export function openIdentityKeys(options: {
  readonly dir: string;
  readonly alg: IdentityAlgorithm;
  readonly rotateAfterMs: number;
  readonly now?: () => number;
}): IdentityKeys {
  const { dir, alg, rotateAfterMs } = options;
  const now = options.now ?? Date.now;
  mkdirSync(join(dir, KEYS), { recursive: true, mode: 0o700 });
  chmodSync(join(dir, KEYS), 0o700);
  let current: SigningKey | null = null;
  let currentStart = -1;

  function rotate(): void {
    const t = now();
    const start = Math.floor(t / rotateAfterMs) * rotateAfterMs;
    if (start === currentStart && current?.alg === alg) return;
    let mine = readKeyFiles(dir).find((k) => k.start === start && k.alg === alg);
    if (mine === undefined) {
      createKeyFile(dir, alg, start, rotateAfterMs);
      mine = readKeyFiles(dir).find((k) => k.start === start && k.alg === alg);
      if (mine === undefined)
        throw new Error(`signed identity: no key for ${start} in ${dir} after creating it`);
    }
    current = {
      kid: mine.kid,
      alg,
      key: createPrivateKey({ key: mine.private_jwk as never, format: 'jwk' }),
    };
    currentStart = start;
    for (const k of readKeyFiles(dir))
      if (publishedUntil(k) <= t) rmSync(join(dir, KEYS, fileName(k.start, k.alg)), { force: true });
  }
  rotate();
  return {
    dir,
    current: () => current as SigningKey,
    rotate,
  };
}
