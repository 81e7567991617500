import { KeyEncryptionError } from '../../store/key-encryption.ts';
import type { SigningKeyRecord, Store } from '../../store/types.ts';
import { IssuerError } from '../errors.ts';
import {
  isSigningAlgorithm,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from '../keys/generate-signing-key.ts';
import { rotateKeys } from '../keys/rotate-keys.ts';

/** A signing key as shown to operators: never the private half. */
export interface KeyView {
  readonly kid: string;
  readonly alg: string;
  readonly state: SigningKeyRecord['state'];
  readonly created_at: string;
  readonly activates_at: string | null;
  readonly remove_at: string | null;
  readonly encrypted: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toKeyView(k: SigningKeyRecord): KeyView {
  return {
    kid: k.kid,
    alg: k.alg,
    state: k.state,
    created_at: new Date(k.createdAt).toISOString(),
    activates_at: iso(k.activatesAt),
    remove_at: iso(k.removeAt),
    encrypted: k.privateJwk.startsWith('enc:'),
  };
}

/** The stored keys, latest activation first. States are as last written by a running issuer. */
export async function listKeys(store: Store): Promise<KeyView[]> {
  const activation = (k: SigningKeyRecord) => k.activatesAt ?? k.createdAt;
  return (await store.keys.list())
    .sort((a, b) => activation(b) - activation(a) || b.createdAt - a.createdAt)
    .map(toKeyView);
}

export interface StartRotationOptions {
  /** Default: the algorithm of the key signing now (ES256 when there is none). */
  readonly alg?: string;
  readonly prePublishSeconds: number;
  readonly kek: Buffer | null;
  readonly actor: string;
  readonly now: number;
}

/** `keys rotate`: publishes a new key now; running issuers start signing with it after the pre-publication time. */
export async function startRotation(store: Store, options: StartRotationOptions): Promise<KeyView> {
  const keys = await store.keys.list();
  const current = keys.filter((k) => k.state === 'current').at(-1);
  const alg = options.alg ?? current?.alg ?? 'ES256';
  if (!isSigningAlgorithm(alg))
    throw new IssuerError(
      'ERR_ADMIN_REQUEST_INVALID',
      `alg: expected one of ${SIGNING_ALGORITHMS.join(', ')} (HS256 exists only in tutorial mode), got ${alg}`,
    );
  if (!Number.isFinite(options.prePublishSeconds) || options.prePublishSeconds < 0)
    throw new IssuerError('ERR_ADMIN_REQUEST_INVALID', 'pre-publication time: expected seconds >= 0');
  if (options.kek === null && keys.some((k) => k.privateJwk.startsWith('enc:'))) {
    throw new KeyEncryptionError(
      'the signing keys in this store are encrypted: set JWTGATE_KEY_ENCRYPTION_KEY so the new key is encrypted too',
    );
  }
  const key = await rotateKeys(store, {
    alg: alg as SigningAlgorithm,
    prePublishMs: options.prePublishSeconds * 1000,
    now: options.now,
    kek: options.kek,
    actor: options.actor,
  });
  return toKeyView(key);
}
