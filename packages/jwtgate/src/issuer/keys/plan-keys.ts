import type { SigningKeyRecord } from '../../store/types.ts';

export interface KeyUpdate {
  readonly kid: string;
  readonly changes: Partial<Omit<SigningKeyRecord, 'kid'>>;
}

/** Where the keys stand at one instant, derived from the stored records and the clock alone. */
export interface KeyPlan {
  /** The key that signs now; undefined only before the first key exists. */
  readonly signing: SigningKeyRecord | undefined;
  /** The JWKS now: the signing key first, then keys about to sign, then keys still retiring. */
  readonly published: readonly SigningKeyRecord[];
  /** Store updates that bring recorded states in line with now (idempotent: any process may apply them). */
  readonly updates: readonly KeyUpdate[];
  /** The next instant the plan changes by itself (a key activates or leaves), or null. */
  readonly nextChangeAt: number | null;
}

const activation = (k: SigningKeyRecord): number => k.activatesAt ?? k.createdAt;

function byActivation(a: SigningKeyRecord, b: SigningKeyRecord): number {
  return activation(a) - activation(b) || a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : 1);
}

/**
 * The key life cycle, next -> current -> retiring -> retired, as a pure function of the records
 * and `now`. A `next` key is published before it signs; once it activates, the key it replaces
 * keeps being published until every token it signed has expired: the moment it stopped signing
 * (its successor's activation) plus `retentionMs` (the token lifetime plus a margin). Times are
 * derived from stored instants only, so every replica and the CLI reach the same result.
 *
 * @example
 * const { signing, published, updates } = planKeys(await store.keys.list(), Date.now(), (300 + 60) * 1000);
 */
export function planKeys(records: readonly SigningKeyRecord[], now: number, retentionMs: number): KeyPlan {
  const updates: KeyUpdate[] = [];
  const signers = records.filter((k) => k.state === 'current' || k.state === 'next').sort(byActivation);
  const active = signers.filter((k) => activation(k) <= now);
  const upcoming = signers.filter((k) => activation(k) > now);
  const signing = active.at(-1);
  const retiring: SigningKeyRecord[] = [];
  const changes: number[] = upcoming.map(activation);

  const retire = (k: SigningKeyRecord, removeAt: number) => {
    if (removeAt <= now) {
      // Its tokens have all expired: drop the private half, it will never sign or verify again.
      updates.push({ kid: k.kid, changes: { state: 'retired', removeAt, privateJwk: '' } });
      return;
    }
    if (k.state !== 'retiring' || k.removeAt !== removeAt)
      updates.push({ kid: k.kid, changes: { state: 'retiring', removeAt } });
    retiring.push({ ...k, state: 'retiring', removeAt });
    changes.push(removeAt);
  };

  // Every activated key but the newest has been replaced: it stopped signing when its successor began.
  for (let i = 0; i < active.length - 1; i++) {
    retire(active[i] as SigningKeyRecord, activation(active[i + 1] as SigningKeyRecord) + retentionMs);
  }
  if (signing !== undefined && signing.state !== 'current')
    updates.push({ kid: signing.kid, changes: { state: 'current' } });
  for (const k of records) {
    // A retiring key recorded without removeAt (an older writer) gets the full retention from now.
    if (k.state === 'retiring') retire(k, k.removeAt ?? now + retentionMs);
  }
  const published = [
    ...(signing ? [{ ...signing, state: 'current' as const }] : []),
    ...upcoming,
    ...retiring.sort((a, b) => (b.removeAt ?? 0) - (a.removeAt ?? 0)),
  ];
  return {
    signing: published[0]?.state === 'current' ? published[0] : undefined,
    published,
    updates,
    nextChangeAt: changes.length ? Math.min(...changes) : null,
  };
}
