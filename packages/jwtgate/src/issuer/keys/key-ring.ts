import type { JWK } from 'jose';
import { decryptPrivateJwk } from '../../store/key-encryption.ts';
import type { SigningKeyRecord, Store } from '../../store/types.ts';
import { recordAudit } from '../audit.ts';
import type { SigningAlgorithm } from './generate-signing-key.ts';
import { type KeyPlan, planKeys } from './plan-keys.ts';
import { ensureSigningKey, rotateKeysIfDue, SIGNING_KEYS_LOCK } from './rotate-keys.ts';

export interface KeyRingOptions {
  readonly store: Store;
  /** The algorithm new keys get; a signing key of another algorithm is rotated away (with pre-publication). */
  readonly alg: SigningAlgorithm;
  readonly prePublishMs: number;
  /** How long a replaced key stays published: the token lifetime plus a margin. */
  readonly retentionMs: number;
  /** Rotate on a schedule: a new key signs this long after the current one began. Null: only on demand. */
  readonly rotateEveryMs: number | null;
  readonly kek: Buffer | null;
  /** How often the store is re-read for changes made by other processes (the CLI, other replicas). */
  readonly pollMs: number;
  readonly now: () => number;
  readonly onError: (err: unknown, what: string) => void;
}

/** The keys one Provider instance is built from: private JWKs for signing, public ones for the JWKS. */
export interface KeySnapshot {
  /** Published keys, the signing key first. */
  readonly records: readonly SigningKeyRecord[];
  readonly privateJwks: readonly JWK[];
  readonly publicJwks: { readonly keys: readonly Record<string, unknown>[] };
  /** A string that changes exactly when the published set changes. */
  readonly id: string;
}

/**
 * The issuer's signing keys, kept in the store and followed there: it re-reads the keys table every
 * `pollMs` and at the next planned transition, writes the transitions planKeys() derives, rotates on
 * schedule, and reports each new published set so the issuer can rebuild its Provider.
 */
export class KeyRing {
  readonly #o: KeyRingOptions;
  readonly #listeners = new Set<(snapshot: KeySnapshot) => void>();
  readonly #decrypted = new Map<string, JWK>();
  #snapshot: KeySnapshot | undefined;
  #running: Promise<void> = Promise.resolve();
  #poll: NodeJS.Timeout | undefined;
  #transition: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: KeyRingOptions) {
    this.#o = options;
  }

  /** Creates the first key if needed and loads the key set; rejects when private keys cannot be read. */
  async start(): Promise<KeySnapshot> {
    const o = this.#o;
    await ensureSigningKey(o.store, {
      alg: o.alg,
      now: o.now(),
      kek: o.kek,
      actor: 'issuer',
      retentionMs: o.retentionMs,
    });
    await this.refresh();
    this.#poll = setInterval(
      () => void this.refresh().catch((err) => o.onError(err, 'key refresh')),
      o.pollMs,
    );
    this.#poll.unref();
    return this.snapshot();
  }

  /** Stops polling; resolves once a refresh under way has finished (so the store may be closed). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    clearTimeout(this.#transition);
    await this.#running.catch(() => {});
  }

  snapshot(): KeySnapshot {
    if (this.#snapshot === undefined) throw new Error('the key ring has not been started');
    return this.#snapshot;
  }

  /** The key to sign with at this instant: among the published ones, by the clock (no wait for a poll). */
  signingKey(): SigningKeyRecord {
    const snapshot = this.snapshot();
    const signing = planKeys(snapshot.records, this.#o.now(), this.#o.retentionMs).signing;
    return signing ?? (snapshot.records[0] as SigningKeyRecord);
  }

  onChange(listener: (snapshot: KeySnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Re-reads the store now (serialised with any refresh under way). */
  refresh(): Promise<void> {
    this.#running = this.#running.then(
      () => this.#refreshOnce(),
      () => this.#refreshOnce(),
    );
    return this.#running;
  }

  async #refreshOnce(): Promise<void> {
    if (this.#stopped) return;
    const o = this.#o;
    let plan = await this.#plan();
    const isDue = (keys: readonly SigningKeyRecord[]): boolean => {
      const now = o.now();
      const fresh = planKeys(keys, now, o.retentionMs);
      const signing = fresh.signing;
      if (signing === undefined || fresh.published.some((k) => k.state === 'next')) return false;
      const dueBySchedule =
        o.rotateEveryMs !== null &&
        (signing.activatesAt ?? signing.createdAt) + o.rotateEveryMs - o.prePublishMs <= now;
      return dueBySchedule || signing.alg !== o.alg;
    };
    // Checked without the lock first (the common case: nothing to do), then again under it.
    if (isDue(plan.published)) {
      const rotation = {
        alg: o.alg,
        prePublishMs: o.prePublishMs,
        now: o.now(),
        kek: o.kek,
        actor: 'issuer',
      };
      await rotateKeysIfDue(o.store, rotation, isDue);
      // Made here or, while this one waited for the lock, by another replica: re-read either way.
      plan = await this.#plan();
    }
    this.#schedule(plan.nextChangeAt);
    const id = plan.published.map((k) => k.kid).join(' ');
    if (this.#snapshot?.id === id) {
      // Same set; keep the records current (a state written by another process) without a rebuild.
      this.#snapshot = { ...this.#snapshot, records: plan.published };
      return;
    }
    const privateJwks = plan.published.map((k) => this.#privateJwk(k));
    this.#snapshot = Object.freeze({
      records: plan.published,
      privateJwks,
      publicJwks: { keys: plan.published.map((k) => ({ ...k.publicJwk })) },
      id,
    });
    for (const listener of this.#listeners) listener(this.#snapshot);
  }

  /** Reads the store, applies the due transitions there, and returns the plan for now. */
  async #plan(): Promise<KeyPlan> {
    const o = this.#o;
    const plan = planKeys(await o.store.keys.list(), o.now(), o.retentionMs);
    if (plan.updates.length === 0) return plan;
    // Transitions are written once, by whichever replica takes the lock first; the others then
    // find them written and have nothing to do.
    return o.store.exclusive(SIGNING_KEYS_LOCK, async () => {
      const locked = planKeys(await o.store.keys.list(), o.now(), o.retentionMs);
      for (const { kid, changes } of locked.updates) {
        await o.store.keys.update(kid, changes);
        if (changes.state === 'retired') this.#decrypted.delete(kid);
        if (changes.state === 'current' || changes.state === 'retired') {
          await recordAudit(
            o.store,
            {
              type: changes.state === 'current' ? 'key.activated' : 'key.retired',
              actor: 'issuer',
              subject: kid,
            },
            (err) => o.onError(err, 'audit'),
          );
        }
      }
      return locked;
    });
  }

  #privateJwk(key: SigningKeyRecord): JWK {
    let jwk = this.#decrypted.get(key.kid);
    if (jwk === undefined) {
      jwk = JSON.parse(decryptPrivateJwk(key.privateJwk, this.#o.kek)) as JWK;
      this.#decrypted.set(key.kid, jwk);
    }
    return jwk;
  }

  #schedule(at: number | null): void {
    clearTimeout(this.#transition);
    if (at === null || this.#stopped) return;
    // A little after the instant, so the plan computed then already sees the change.
    const delay = Math.min(Math.max(0, at - this.#o.now()) + 20, 2 ** 31 - 1);
    this.#transition = setTimeout(
      () => void this.refresh().catch((err) => this.#o.onError(err, 'key refresh')),
      delay,
    );
    this.#transition.unref();
  }
}
