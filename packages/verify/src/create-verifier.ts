import type { Algorithm } from './algorithms.ts';
import { type Authorizer, compileRequirement, type Requirement } from './authorize.ts';
import { checkClaims } from './check-claims.ts';
import { checkDelegation } from './check-delegation.ts';
import { boundThumbprint, checkBinding, type DpopMode, type DpopPresentation } from './dpop/check-binding.ts';
import type { DpopPolicy } from './dpop/check-dpop-proof.ts';
import { createDpopPolicy, type DpopOptions } from './dpop/dpop-policy.ts';
import { fail, type JwtGateError } from './errors.ts';
import type { FetchFunction } from './keys/fetch-json.ts';
import type { KeySet } from './keys/key-set.ts';
import type { KeySourceState } from './keys/key-source.ts';
import type { FetchEvent } from './keys/remote-jwks.ts';
import type { TrustedKey } from './keys/trusted-key.ts';
import { asNumber, asObject, describe, onlyKeys, optionsError } from './lib/check-options.ts';
import { TokenCache } from './lib/token-cache.ts';
import { HeaderCache, type JwtClaims, type JwtHeader, type ParsedToken, parseToken } from './parse-token.ts';
import { compileProvider, type Provider, type ProviderOptions } from './provider.ts';
import { verifySignature } from './verify-signature.ts';

/** Identifiers a revocation check may look at. */
export interface RevocationSubject {
  readonly jti?: unknown;
  readonly sub?: unknown;
  readonly client_id?: unknown;
}

export interface VerifierOptions {
  /** Named providers; a token is matched to one by its `iss`. */
  readonly providers: Readonly<Record<string, ProviderOptions>>;
  /** Longest token accepted, checked before any decoding. Default 8192. */
  readonly maxTokenBytes?: number;
  /** Verified-token cache; off unless given. */
  readonly cache?: { readonly maxEntries?: number; readonly maxBytes?: number };
  /** Called for every token that passed every check (cached or not); true denies it as revoked. */
  readonly isRevoked?: (claims: RevocationSubject) => boolean;
  /** The clock, in milliseconds since the epoch. Default Date.now. */
  readonly now?: () => number;
  /** Used by remote key sources. Default: the global fetch. */
  readonly fetch?: FetchFunction;
  /** Where `secret: { env }` reads. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reports every JWKS or discovery fetch, for metrics and logs. */
  readonly onKeyFetch?: (provider: string, event: FetchEvent) => void;
  /** How DPoP proofs are checked (window, algorithms, replay cache, nonces); see each provider's `dpop`. */
  readonly dpop?: DpopOptions;
}

/** What a successful verification returns. Treat as read-only: with the cache on it is shared. */
export interface VerifiedToken {
  readonly provider: string;
  readonly alg: Algorithm;
  readonly kid: string | undefined;
  readonly header: JwtHeader;
  readonly claims: JwtClaims;
  /**
   * Set when the token is DPoP-bound (`cnf.jkt`) and its provider checks DPoP: it was then
   * accepted only with a valid proof by that key, on this request.
   */
  readonly binding?: { readonly type: 'dpop'; readonly jkt: string };
}

export interface VerifyCallOptions {
  /** Only these providers may accept the token. Default: all. */
  readonly providers?: readonly string[];
  /**
   * The request used the DPoP scheme: its proof and what it must match. Without it the token
   * was sent as a Bearer token (or in a header, cookie or query parameter).
   */
  readonly dpop?: DpopPresentation;
}

/**
 * A verifier: created once from options (validated at creation), then called per token.
 *
 * @example
 * const verifier = createVerifier({
 *   providers: { corp: { issuer: 'https://id.example', audiences: ['api'], algorithms: ['ES256'] } },
 * });
 * const { claims } = await verifier.verify(token);
 */
export interface Verifier {
  /** Verifies a compact JWS; rejects with a JwtGateError carrying a stable code. */
  verify(token: string, options?: VerifyCallOptions): Promise<VerifiedToken>;
  /**
   * The same verification as `verify`, without a promise when none is needed: a cached token
   * (expiry, revocation and the key still being published are checked on every hit) or a
   * token whose keys are at hand comes back as the result itself; only a key fetch makes it a
   * promise. A refusal is thrown, synchronously, as the JwtGateError `verify` would reject with.
   *
   * @example
   * const out = verifier.verifyNow(token);
   * const { claims } = out instanceof Promise ? await out : out;
   */
  verifyNow(token: string, options?: VerifyCallOptions): VerifiedToken | Promise<VerifiedToken>;
  /** Compiles a role/scope requirement against a provider's roles claim path. */
  compileRequirement(provider: string, requirement: Requirement): Authorizer;
  /** Drops a revoked token id from the cache (the revocation check still runs on every hit). */
  forgetJti(jti: string): void;
  /** Loads every provider's keys; resolves to their states (for readiness checks). */
  load(): Promise<Record<string, KeySourceState>>;
  /** Each provider's key source state, without waiting. */
  status(): Record<string, KeySourceState>;
  /** Verified-token cache counters since creation (for metrics). */
  stats(): { readonly hits: number; readonly misses: number; readonly entries: number };
  readonly providers: readonly string[];
  /** The DPoP proof algorithms accepted (for `WWW-Authenticate: DPoP algs=...`). */
  readonly dpopAlgorithms: readonly string[];
  /** A provider's DPoP setting. */
  dpopMode(provider: string): DpopMode;
}

interface CachedVerification {
  readonly result: VerifiedToken;
  readonly provider: Provider;
  readonly key: TrustedKey;
  readonly keySet: KeySet;
}

const VERIFIER_KEYS = [
  'providers',
  'maxTokenBytes',
  'cache',
  'isRevoked',
  'now',
  'fetch',
  'env',
  'onKeyFetch',
  'dpop',
];

/** Creates a verifier; throws ERR_OPTIONS_INVALID naming the option path when options are wrong. */
export function createVerifier(options: VerifierOptions): Verifier {
  const o = asObject(options, 'options');
  onlyKeys(o, 'options', VERIFIER_KEYS);
  for (const name of ['now', 'fetch', 'isRevoked', 'onKeyFetch']) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw optionsError(`options.${name}`, `expected a function, got ${describe(o[name])}`);
    }
  }
  if (o.env !== undefined) asObject(o.env, 'options.env');
  const now = options.now ?? Date.now;
  const maxTokenBytes =
    o.maxTokenBytes === undefined ? 8192 : asNumber(o.maxTokenBytes, 'options.maxTokenBytes', 16);
  const providerMap = asObject(o.providers, 'options.providers');
  const names = Object.keys(providerMap);
  if (names.length === 0) throw optionsError('options.providers', 'expected at least one provider');
  const byIssuer = new Map<string, Provider>();
  const byName = new Map<string, Provider>();
  for (const name of names) {
    const path = `options.providers.${name}`;
    const provider = compileProvider(name, providerMap[name], path, {
      now,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      env: options.env ?? process.env,
      onFetch: options.onKeyFetch ? (event) => options.onKeyFetch?.(name, event) : undefined,
    });
    const clash = byIssuer.get(provider.policy.issuer);
    if (clash) throw optionsError(`${path}.issuer`, `issuer already used by provider ${clash.name}`);
    byIssuer.set(provider.policy.issuer, provider);
    byName.set(name, provider);
  }
  let cache: TokenCache<CachedVerification> | undefined;
  if (o.cache !== undefined) {
    const c = asObject(o.cache, 'options.cache');
    onlyKeys(c, 'options.cache', ['maxEntries', 'maxBytes']);
    cache = new TokenCache({
      maxEntries: c.maxEntries === undefined ? 10_000 : asNumber(c.maxEntries, 'options.cache.maxEntries', 1),
      maxBytes:
        c.maxBytes === undefined ? 32 * 1024 * 1024 : asNumber(c.maxBytes, 'options.cache.maxBytes', 1024),
    });
  }
  const isRevoked = options.isRevoked;
  const headers = new HeaderCache();
  const dpopPolicy: DpopPolicy = createDpopPolicy(o.dpop, 'options.dpop', now);

  function selectProvider(claims: JwtClaims, allowed: readonly string[] | undefined): Provider {
    const iss = claims.iss;
    const provider = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
    if (provider === undefined || (allowed !== undefined && !allowed.includes(provider.name))) {
      throw fail('ERR_ISSUER_MISMATCH');
    }
    return provider;
  }

  function finish(
    token: string,
    parsed: ParsedToken,
    provider: Provider,
    keys: KeySet,
    mayRefresh: boolean,
  ): VerifiedToken | Promise<VerifiedToken> {
    const { header, claims } = parsed;
    const candidates = keys.candidates(header.kid, header.alg);
    if (candidates.length === 0) {
      if (mayRefresh && header.kid !== undefined && !keys.hasKid(header.kid)) {
        // Maybe the issuer rotated: one refetch per cooldown, shared by every waiting request.
        return provider.source.refreshForUnknownKid().then((fresh) => {
          if (fresh === undefined || fresh === keys) throw fail('ERR_KEY_NOT_FOUND');
          return finish(token, parsed, provider, fresh, false);
        });
      }
      throw fail('ERR_KEY_NOT_FOUND');
    }
    let key: TrustedKey | undefined;
    for (let i = 0; i < candidates.length && key === undefined; i++) {
      const candidate = candidates[i] as TrustedKey;
      if (verifySignature(header.alg, candidate, parsed.signingInput, parsed.signature)) key = candidate;
    }
    if (key === undefined) throw fail('ERR_SIGNATURE_INVALID');
    // Claims are only looked at once the signature is known good.
    const nowMs = now();
    const validUntil = checkClaims(provider.policy, header, claims, Math.floor(nowMs / 1000));
    if (provider.delegation !== undefined) checkDelegation(provider.delegation, claims);
    if (isRevoked?.(claims)) throw fail('ERR_TOKEN_REVOKED');
    const jkt = provider.dpop === 'off' ? undefined : boundThumbprint(claims);
    // Two literals rather than a spread of a conditional one: no object is built to be copied.
    const result: VerifiedToken =
      jkt === undefined
        ? { provider: provider.name, alg: header.alg, kid: header.kid, header, claims }
        : {
            provider: provider.name,
            alg: header.alg,
            kid: header.kid,
            header,
            claims,
            binding: Object.freeze({ type: 'dpop' as const, jkt }),
          };
    if (cache !== undefined && Number.isFinite(validUntil)) {
      Object.freeze(claims);
      cache.set(token, {
        value: { result: Object.freeze(result), provider, key, keySet: keys },
        validUntilMs: validUntil * 1000,
        jti: typeof claims.jti === 'string' ? claims.jti : undefined,
        bytes: token.length * 3 + 256,
      });
    }
    return result;
  }

  let cacheHits = 0;
  let cacheMisses = 0;

  function fromCache(token: string, allowed: readonly string[] | undefined): VerifiedToken | undefined {
    const entry = (cache as TokenCache<CachedVerification>).get(token, now());
    if (entry === undefined) return undefined;
    const { result, provider, key, keySet } = entry.value;
    if (allowed !== undefined && !allowed.includes(provider.name)) throw fail('ERR_ISSUER_MISMATCH');
    const current = provider.source.current();
    if (current !== keySet && !current?.has(key)) {
      // The key that verified this token is no longer published: verify afresh.
      cache?.delete(token);
      return undefined;
    }
    if (isRevoked?.(result.claims)) throw fail('ERR_TOKEN_REVOKED');
    return result;
  }

  function verifyNow(
    token: string,
    allowed: readonly string[] | undefined,
  ): VerifiedToken | Promise<VerifiedToken> {
    if (typeof token !== 'string') throw fail('ERR_TOKEN_MALFORMED', 'not a string');
    if (cache !== undefined) {
      const hit = fromCache(token, allowed);
      if (hit !== undefined) {
        cacheHits++;
        return hit;
      }
      cacheMisses++;
    }
    const parsed = parseToken(token, maxTokenBytes, headers);
    const provider = selectProvider(parsed.claims, allowed);
    if (!provider.algorithms.has(parsed.header.alg)) throw fail('ERR_ALG_NOT_ALLOWED');
    const keys = provider.source.current();
    if (keys === undefined)
      return provider.source.load().then((loaded) => finish(token, parsed, provider, loaded, true));
    return finish(token, parsed, provider, keys, true);
  }

  // The binding is checked on every request, after the token verified or came from the cache:
  // a cached token never skips its proof.
  function bind(
    result: VerifiedToken,
    token: string,
    presented: DpopPresentation | undefined,
  ): VerifiedToken | Promise<VerifiedToken> {
    const provider = byName.get(result.provider) as Provider;
    const checked = checkBinding(provider.dpop, result.binding?.jkt, token, presented, dpopPolicy);
    return checked instanceof Promise ? checked.then(() => result) : result;
  }

  // The token (at once when it is cached and its key loaded), then its binding: what both verify()
  // and verifyNow() answer, so the synchronous path checks exactly what the promise does.
  function verifyBound(token: string, call?: VerifyCallOptions): VerifiedToken | Promise<VerifiedToken> {
    const out = verifyNow(token, call?.providers);
    const presented = call?.dpop;
    return out instanceof Promise ? out.then((r) => bind(r, token, presented)) : bind(out, token, presented);
  }

  const status = () => Object.fromEntries([...byName].map(([name, p]) => [name, p.source.describe()]));

  return Object.freeze({
    providers: Object.freeze(names),
    dpopAlgorithms: Object.freeze([...dpopPolicy.algorithms]),
    dpopMode(provider: string): DpopMode {
      const p = byName.get(provider);
      if (p === undefined) throw optionsError('provider', `unknown provider ${provider}`);
      return p.dpop;
    },
    verify(token: string, call?: VerifyCallOptions): Promise<VerifiedToken> {
      try {
        return Promise.resolve(verifyBound(token, call));
      } catch (err) {
        return Promise.reject(err as JwtGateError);
      }
    },
    verifyNow: verifyBound,
    compileRequirement(provider: string, requirement: Requirement): Authorizer {
      const p = byName.get(provider);
      if (p === undefined) throw optionsError('provider', `unknown provider ${provider}`);
      return compileRequirement(requirement, p.rolesClaim);
    },
    forgetJti(jti: string): void {
      cache?.deleteJti(jti);
    },
    async load() {
      await Promise.allSettled([...byName.values()].map((p) => p.source.load()));
      return status();
    },
    status,
    stats: () => ({ hits: cacheHits, misses: cacheMisses, entries: cache?.size ?? 0 }),
  });
}
