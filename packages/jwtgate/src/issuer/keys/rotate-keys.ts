import type { SigningKeyRecord, Store } from '../../store/types.ts';
import { recordAudit } from '../audit.ts';
import { generateSigningKey, type SigningAlgorithm } from './generate-signing-key.ts';
import { planKeys } from './plan-keys.ts';

export interface RotateOptions {
  readonly alg: SigningAlgorithm;
  /** How long the new key is published before it signs (verifiers' cached key sets catch up meanwhile). */
  readonly prePublishMs: number;
  readonly now: number;
  readonly kek: Buffer | null;
  readonly actor: string;
}

/** The store lock (Store.exclusive) every change of the key set is made under. */
export const SIGNING_KEYS_LOCK = 'signing-keys';

/**
 * Starts a rotation: stores a `next` key that is published at once and signs from
 * `now + prePublishMs`. The running issuers pick it up from the store; the key it replaces is then
 * retired on the schedule of planKeys().
 */
export async function rotateKeys(store: Store, options: RotateOptions): Promise<SigningKeyRecord> {
  return store.exclusive(SIGNING_KEYS_LOCK, () => insertNextKey(store, options));
}

/**
 * A scheduled rotation, decided under the lock: `due` sees the key set as it is once the lock is
 * held, so when several replicas find the same rotation due, the first makes it and the others
 * see its `next` key and do nothing. Returns the key created, if any.
 */
export async function rotateKeysIfDue(
  store: Store,
  options: RotateOptions,
  due: (keys: readonly SigningKeyRecord[]) => boolean,
): Promise<SigningKeyRecord | undefined> {
  return store.exclusive(SIGNING_KEYS_LOCK, async () =>
    due(await store.keys.list()) ? insertNextKey(store, options) : undefined,
  );
}

async function insertNextKey(store: Store, options: RotateOptions): Promise<SigningKeyRecord> {
  const key = await generateSigningKey(options.alg, {
    state: 'next',
    now: options.now,
    activatesAt: options.now + options.prePublishMs,
    kek: options.kek,
  });
  await store.keys.insert(key);
  await recordAudit(store, {
    type: 'key.rotated',
    actor: options.actor,
    subject: key.kid,
    detail: { alg: key.alg, activates_at: new Date(key.activatesAt ?? options.now).toISOString() },
  });
  return key;
}

/**
 * The first start: when no key signs yet, one is generated and signs at once (there is nothing
 * to pre-publish it for). Returns the key created, or undefined when one already signs.
 */
export async function ensureSigningKey(
  store: Store,
  options: Omit<RotateOptions, 'prePublishMs'> & { readonly retentionMs: number },
): Promise<SigningKeyRecord | undefined> {
  return store.exclusive(SIGNING_KEYS_LOCK, () => createFirstKey(store, options));
}

async function createFirstKey(
  store: Store,
  options: Omit<RotateOptions, 'prePublishMs'> & { readonly retentionMs: number },
): Promise<SigningKeyRecord | undefined> {
  // Another replica starting at the same moment may have created it while this one waited.
  const plan = planKeys(await store.keys.list(), options.now, options.retentionMs);
  if (plan.signing !== undefined) return undefined;
  const key = await generateSigningKey(options.alg, {
    state: 'current',
    now: options.now,
    activatesAt: options.now,
    kek: options.kek,
  });
  await store.keys.insert(key);
  await recordAudit(store, {
    type: 'key.created',
    actor: options.actor,
    subject: key.kid,
    detail: { alg: key.alg },
  });
  return key;
}
