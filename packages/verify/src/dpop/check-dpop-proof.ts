import { createHash } from 'node:crypto';
import type { Algorithm } from '../algorithms.ts';
import { normalizeType } from '../check-claims.ts';
import { fail, JwtGateError } from '../errors.ts';
import { keyFitsAlgorithm } from '../keys/trusted-key.ts';
import { decodeBase64url, isCanonicalBase64url } from '../lib/base64url.ts';
import { parseJsonObject } from '../lib/strict-json.ts';
import { decodeUtf8 } from '../lib/utf8.ts';
import { verifySignature } from '../verify-signature.ts';
import { dpopAlgorithmSpec } from './dpop-algorithms.ts';
import { normalizeHtu } from './normalize-htu.ts';
import { importProofKey, type ProofKey } from './proof-key.ts';
import type { ReplayCache } from './replay-cache.ts';

/** What a proof must match: the request as the client sent it, and the token it comes with. */
export interface DpopExpectation {
  /** The request method (`htm`), as sent. */
  readonly method: string;
  /** The request URL as the client addressed it (`htu`): scheme, host, path; a query is ignored. */
  readonly url: string;
  /** The access token presented with the proof (`ath`, RFC 9449 4.2). */
  readonly accessToken: string;
  /** The token's `cnf.jkt` (RFC 9449 6.1): the proof must be signed by that key. */
  readonly jkt: string;
}

/** A server nonce source (RFC 9449 9): proofs must carry a nonce it accepts. */
export interface DpopNonce {
  /** The nonce to hand out (in `DPoP-Nonce`) when a proof has none or a stale one. */
  current(): string;
  accepts(nonce: string): boolean;
}

/** How proofs are checked, compiled once (createDpopPolicy). */
export interface DpopPolicy {
  readonly algorithms: ReadonlySet<string>;
  /** A proof is accepted up to this long after its `iat` ... */
  readonly maxAgeSeconds: number;
  /** ... and this long before it (clock skew). */
  readonly futureSeconds: number;
  readonly replay: ReplayCache;
  readonly nonce: DpopNonce | undefined;
  readonly now: () => number;
  readonly maxProofBytes: number;
  /** Parsed headers and imported keys, by header segment. */
  readonly headers: ProofHeaderCache;
}

/** What a proof said, once checked. */
export interface CheckedProof {
  readonly jti: string;
  readonly iat: number;
  readonly thumbprint: string;
}

interface ProofHeader {
  readonly alg: string;
  /** The verify core's name for it (`Ed25519` is EdDSA). */
  readonly verifyAs: Algorithm;
  readonly key: ProofKey;
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64url(segment);
  const text = bytes === undefined ? undefined : decodeUtf8(bytes);
  return text === undefined ? undefined : parseJsonObject(text);
}

/**
 * Proof headers parsed and their keys imported once per distinct header segment: a client sends
 * the same header (typ, alg, its one key) on every proof. Only accepted headers are kept.
 */
export class ProofHeaderCache {
  readonly #max: number;
  #map = new Map<string, ProofHeader>();

  constructor(max = 4096) {
    this.#max = max;
  }

  get(segment: string, algorithms: ReadonlySet<string>): ProofHeader {
    const hit = this.#map.get(segment);
    if (hit !== undefined) {
      if (!algorithms.has(hit.alg)) throw fail('ERR_DPOP_ALG_NOT_ALLOWED');
      return hit;
    }
    const header = decodeSegment(segment);
    if (header === undefined) throw fail('ERR_DPOP_PROOF_MALFORMED', 'header');
    // RFC 9449 4.3 step 4: typ dpop+jwt (compared as a media type, like jose does).
    if (typeof header.typ !== 'string' || normalizeType(header.typ) !== 'dpop+jwt')
      throw fail('ERR_DPOP_PROOF_TYPE');
    // Step 5: an asymmetric algorithm the server accepts; none and HS* are never in the list.
    const alg = header.alg;
    if (typeof alg !== 'string' || !algorithms.has(alg) || dpopAlgorithmSpec(alg) === undefined)
      throw fail('ERR_DPOP_ALG_NOT_ALLOWED');
    // RFC 7515 4.1.11: no critical extension is implemented; b64=false changes what is signed.
    if (header.crit !== undefined || header.b64 !== undefined)
      throw fail('ERR_DPOP_PROOF_MALFORMED', 'crit/b64');
    // Step 6: the key is the embedded one, and only a public one (never jku, x5u, x5c, kid).
    const key = importProofKey(header.jwk);
    if (typeof key === 'string') throw fail('ERR_DPOP_KEY_INVALID', key);
    const verifyAs = (alg === 'Ed25519' ? 'EdDSA' : alg) as Algorithm;
    if (!keyFitsAlgorithm(key.key, verifyAs)) throw fail('ERR_DPOP_KEY_INVALID', 'the key does not fit alg');
    const parsed = Object.freeze({ alg, verifyAs, key });
    if (this.#map.size >= this.#max) this.#map = new Map();
    this.#map.set(segment, parsed);
    return parsed;
  }
}

/** base64url(SHA-256(token)): the `ath` of a proof for that token (RFC 9449 4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function replayId(thumbprint: string, jti: string): string {
  // A jti is unique per key (RFC 9449 4.2); hashed so any jti costs the cache the same memory,
  // and cut to 128 bits (22 characters), plenty against collisions, half the bytes per entry.
  return createHash('sha256').update(thumbprint).update('\0').update(jti).digest('base64url').slice(0, 22);
}

/**
 * Checks one DPoP proof as RFC 9449 4.3 says, in its order: one compact JWS, typ `dpop+jwt`, an
 * allowed asymmetric algorithm, the embedded public key, the signature, `htm` and `htu` of this
 * request, the server nonce (when asked for), `iat` within the window, `ath` of this token,
 * the key's thumbprint equal to the token's `cnf.jkt`; then `jti` recorded, refused when seen
 * within the window. Throws a JwtGateError (one of the DPoP codes), or resolves to what the proof said.
 *
 * @example
 * await checkDpopProof(req.headers.dpop, { method: 'GET', url, accessToken, jkt }, policy);
 */
export function checkDpopProof(
  proof: string,
  expected: DpopExpectation,
  policy: DpopPolicy,
): CheckedProof | Promise<CheckedProof> {
  if (typeof proof !== 'string' || proof === '') throw fail('ERR_DPOP_PROOF_MISSING');
  if (proof.length > policy.maxProofBytes) throw fail('ERR_DPOP_PROOF_MALFORMED', 'too large');
  const dot1 = proof.indexOf('.');
  const dot2 = dot1 === -1 ? -1 : proof.indexOf('.', dot1 + 1);
  if (dot2 === -1 || proof.indexOf('.', dot2 + 1) !== -1)
    throw fail('ERR_DPOP_PROOF_MALFORMED', 'not a compact JWS');
  const header = policy.headers.get(proof.slice(0, dot1), policy.algorithms);
  const claims = decodeSegment(proof.slice(dot1 + 1, dot2));
  if (claims === undefined) throw fail('ERR_DPOP_PROOF_MALFORMED', 'payload');
  const signature = proof.slice(dot2 + 1);
  if (!isCanonicalBase64url(signature)) throw fail('ERR_DPOP_PROOF_MALFORMED', 'signature encoding');
  if (!verifySignature(header.verifyAs, header.key.key, proof.slice(0, dot2), signature))
    throw fail('ERR_DPOP_SIGNATURE_INVALID');
  // Claims are looked at only once the signature is known good (step 3's presence checks too).
  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > 512)
    throw fail('ERR_DPOP_PROOF_MALFORMED', 'jti');
  if (typeof htm !== 'string' || typeof htu !== 'string') throw fail('ERR_DPOP_PROOF_MALFORMED', 'htm/htu');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw fail('ERR_DPOP_PROOF_MALFORMED', 'iat');
  // Step 8: the method as sent, compared case-sensitively (RFC 9110 9.1).
  if (htm !== expected.method) throw fail('ERR_DPOP_METHOD_MISMATCH');
  // Step 9: scheme, host and path, normalised, query and fragment ignored.
  const want = normalizeHtu(expected.url);
  if (want === undefined || normalizeHtu(htu) !== want) throw fail('ERR_DPOP_URL_MISMATCH');
  // Step 10 / section 9: the server nonce, when the server asks for one.
  const nonce = policy.nonce;
  if (nonce !== undefined && (typeof claims.nonce !== 'string' || !nonce.accepts(claims.nonce)))
    throw new JwtGateError('ERR_DPOP_NONCE_REQUIRED', undefined, { dpopNonce: nonce.current() });
  // Step 11: iat within the window (RFC 9449 11.1).
  const nowMs = policy.now();
  const nowSeconds = nowMs / 1000;
  if (iat < nowSeconds - policy.maxAgeSeconds) throw fail('ERR_DPOP_PROOF_STALE', 'too old');
  if (iat > nowSeconds + policy.futureSeconds) throw fail('ERR_DPOP_PROOF_STALE', 'from the future');
  // Step 12: bound to this token and to the key the token names.
  if (claims.ath !== accessTokenHash(expected.accessToken)) throw fail('ERR_DPOP_ATH_MISMATCH');
  if (header.key.thumbprint !== expected.jkt) throw fail('ERR_DPOP_KEY_MISMATCH');
  // Last, so a refused proof takes no room: the id is kept until the window no longer takes it.
  const checked: CheckedProof = { jti, iat, thumbprint: header.key.thumbprint };
  const until = (iat + policy.maxAgeSeconds) * 1000 + 1;
  let fresh: boolean | Promise<boolean>;
  try {
    fresh = policy.replay.remember(replayId(header.key.thumbprint, jti), until, nowMs);
  } catch (err) {
    throw fail('ERR_DPOP_REPLAY_CACHE_UNAVAILABLE', undefined, err);
  }
  if (fresh === true) return checked;
  if (fresh === false) throw fail('ERR_DPOP_PROOF_REPLAYED');
  return fresh.then(
    (ok) => {
      if (!ok) throw fail('ERR_DPOP_PROOF_REPLAYED');
      return checked;
    },
    (err: unknown) => {
      throw fail('ERR_DPOP_REPLAY_CACHE_UNAVAILABLE', undefined, err);
    },
  );
}
