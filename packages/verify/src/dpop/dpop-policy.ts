import { asNumber, asObject, asStringList, describe, onlyKeys, optionsError } from '../lib/check-options.ts';
import { type DpopNonce, type DpopPolicy, ProofHeaderCache } from './check-dpop-proof.ts';
import { DPOP_ALGORITHMS } from './dpop-algorithms.ts';
import { createMemoryReplayCache, type ReplayCache } from './replay-cache.ts';

/** How DPoP proofs are checked (RFC 9449), for every provider that accepts them. */
export interface DpopOptions {
  /** Proof algorithms accepted. Default: every asymmetric one (DPOP_ALGORITHMS). */
  readonly algorithms?: readonly string[];
  /** A proof is accepted up to this many seconds after its `iat`. Default 300. */
  readonly maxAgeSeconds?: number;
  /** ... and this many seconds before it (the client's clock ahead). Default 60. */
  readonly futureSeconds?: number;
  /** Where proof ids are remembered. Default: in this process, bounded (createMemoryReplayCache). */
  readonly replayCache?: ReplayCache;
  /**
   * Ids kept by the default replay cache. Default 500000 (about 50 MB at most): with the default
   * 300 s window, 1666 proofs a second sustained before it narrows the window (see
   * createMemoryReplayCache); beyond that, a shared cache or a shorter window.
   */
  readonly maxReplayEntries?: number;
  /** Server nonces (RFC 9449 9): proofs must carry one this accepts. Default: none asked for. */
  readonly nonce?: DpopNonce;
  /** Longest proof accepted. Default 8192 characters. */
  readonly maxProofBytes?: number;
}

const KEYS = [
  'algorithms',
  'maxAgeSeconds',
  'futureSeconds',
  'replayCache',
  'maxReplayEntries',
  'nonce',
  'maxProofBytes',
];

/** Validates DPoP options once; every problem names its path. */
export function createDpopPolicy(raw: unknown, path: string, now: () => number): DpopPolicy {
  const o = raw === undefined ? {} : asObject(raw, path);
  onlyKeys(o, path, KEYS);
  const algorithms =
    o.algorithms === undefined
      ? DPOP_ALGORITHMS
      : asStringList(o.algorithms, `${path}.algorithms`, { nonEmpty: true }).map((alg, i) => {
          if (!DPOP_ALGORITHMS.includes(alg))
            throw optionsError(
              `${path}.algorithms[${i}]`,
              `expected one of ${DPOP_ALGORITHMS.join(', ')} (asymmetric only), got "${alg}"`,
            );
          return alg;
        });
  const replay = o.replayCache as ReplayCache | undefined;
  if (replay !== undefined && typeof (replay as { remember?: unknown }).remember !== 'function')
    throw optionsError(`${path}.replayCache`, `expected an object with remember(), got ${describe(replay)}`);
  const nonce = o.nonce as DpopNonce | undefined;
  if (
    nonce !== undefined &&
    (typeof (nonce as { current?: unknown }).current !== 'function' ||
      typeof (nonce as { accepts?: unknown }).accepts !== 'function')
  )
    throw optionsError(
      `${path}.nonce`,
      `expected an object with current() and accepts(), got ${describe(nonce)}`,
    );
  return Object.freeze({
    algorithms: new Set(algorithms),
    maxAgeSeconds:
      o.maxAgeSeconds === undefined ? 300 : asNumber(o.maxAgeSeconds, `${path}.maxAgeSeconds`, 1),
    futureSeconds: o.futureSeconds === undefined ? 60 : asNumber(o.futureSeconds, `${path}.futureSeconds`),
    replay:
      replay ??
      createMemoryReplayCache({
        maxEntries:
          o.maxReplayEntries === undefined
            ? 500_000
            : asNumber(o.maxReplayEntries, `${path}.maxReplayEntries`, 1),
      }),
    nonce,
    now,
    maxProofBytes:
      o.maxProofBytes === undefined ? 8192 : asNumber(o.maxProofBytes, `${path}.maxProofBytes`, 256),
    headers: new ProofHeaderCache(),
  });
}
