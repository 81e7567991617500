import { ALGORITHMS, type Algorithm, isAlgorithm } from './algorithms.ts';
import { type ClaimPolicy, normalizeType } from './check-claims.ts';
import { compileDelegation, type DelegationPolicy } from './check-delegation.ts';
import { type ClaimReader, compileClaimPath } from './claim-path.ts';
import type { DpopMode } from './dpop/check-binding.ts';
import { discoverJwksUri } from './keys/discovery.ts';
import { checkFetchableUrl } from './keys/fetch-json.ts';
import { KeySet } from './keys/key-set.ts';
import { createStaticKeySource, type KeySource } from './keys/key-source.ts';
import {
  REMOTE_DEFAULTS,
  type RemoteContext,
  RemoteJwksSource,
  type RemoteOptions,
} from './keys/remote-jwks.ts';
import { loadSecret, type SecretOption } from './keys/secret.ts';
import { loadStaticKeys, type StaticKeysOption } from './keys/static-keys.ts';
import {
  asBoolean,
  asNumber,
  asObject,
  asOneOf,
  asString,
  asStringList,
  describe,
  onlyKeys,
  optionsError,
} from './lib/check-options.ts';

/**
 * How to verify tokens of one issuer: where its keys come from (exactly one of `secret`, `keys`,
 * `jwksUri`, or none: then the issuer URL's metadata names the jwks_uri) and what its tokens
 * must say.
 */
export interface ProviderOptions {
  /** Exact `iss` of accepted tokens; an https URL when keys are discovered from it. */
  readonly issuer: string;
  /** Allowed algorithms. HS* only with `secret`; asymmetric ones only with keys. Never `none`. */
  readonly algorithms: readonly Algorithm[];
  /** Accepted audiences: the token's `aud` must hold one of them (or all, see audienceMode). */
  readonly audiences: readonly string[];
  readonly audienceMode?: 'any' | 'all';
  readonly secret?: SecretOption;
  readonly keys?: StaticKeysOption;
  readonly jwksUri?: string;
  /** Accepted `typ` header values, e.g. `['at+jwt']` (RFC 9068). Default: no typ check. */
  readonly tokenTypes?: readonly string[];
  /** Clock skew tolerated on exp, nbf and iat. Default 0. */
  readonly leewaySeconds?: number;
  /** Reject tokens whose `iat` is older than this. Default: no limit. */
  readonly maxTokenAgeSeconds?: number;
  /** Default true: a token without `exp` is rejected. */
  readonly requireExp?: boolean;
  readonly requireSub?: boolean;
  readonly requiredClaims?: readonly string[];
  /** Where roles live: `roles` (default), `realm_access.roles`, `https://example.com/roles`, ... */
  readonly rolesClaim?: string | readonly string[];
  /** Tuning of jwksUri and discovery sources. */
  readonly remote?: Partial<RemoteOptions>;
  /**
   * What is accepted of the delegation chain in `act` (RFC 8693 4.1: token exchange on a user's
   * behalf). Without it, `act` is not looked at.
   *
   * @example
   * delegation: { required: true, maxDepth: 2, actors: ['orders-service'] }
   */
  readonly delegation?: DelegationOptions;
  /**
   * DPoP-bound tokens (RFC 9449): `optional` (default) takes a bound token only with the DPoP
   * scheme and a valid proof, and unbound tokens as Bearer; `required` takes only bound tokens;
   * `off` ignores `cnf.jkt` (the token is then a bearer token) and refuses the DPoP scheme.
   */
  readonly dpop?: DpopMode;
}

export interface DelegationOptions {
  /** Only tokens that name an actor (`act`). Default false. */
  readonly required?: boolean;
  /** The most actors in the chain (`act` nesting depth); 0 refuses every delegated token. Default: no limit. */
  readonly maxDepth?: number;
  /** Accepted current actors (the outermost `act.sub`); prior actors are not matched (RFC 8693 4.1). */
  readonly actors?: readonly string[];
}

/** A provider compiled once: frozen policy, algorithm set and key source. */
export interface Provider {
  readonly name: string;
  readonly policy: ClaimPolicy;
  readonly algorithms: ReadonlySet<Algorithm>;
  readonly source: KeySource;
  readonly rolesClaim: string | readonly string[];
  readonly readRoles: ClaimReader;
  /** Undefined when the provider has no delegation option. */
  readonly delegation: DelegationPolicy | undefined;
  readonly dpop: DpopMode;
}

const PROVIDER_KEYS = [
  'issuer',
  'algorithms',
  'audiences',
  'audienceMode',
  'secret',
  'keys',
  'jwksUri',
  'tokenTypes',
  'leewaySeconds',
  'maxTokenAgeSeconds',
  'requireExp',
  'requireSub',
  'requiredClaims',
  'rolesClaim',
  'remote',
  'delegation',
  'dpop',
] as const;

function compileRemote(raw: unknown, path: string): RemoteOptions {
  if (raw === undefined) return REMOTE_DEFAULTS;
  const o = asObject(raw, path);
  onlyKeys(o, path, Object.keys(REMOTE_DEFAULTS));
  const out: Record<string, number | boolean> = { ...REMOTE_DEFAULTS };
  for (const [key, value] of Object.entries(o)) {
    out[key] =
      key === 'allowHttp'
        ? asBoolean(value, `${path}.${key}`)
        : asNumber(value, `${path}.${key}`, key === 'timeoutMs' || key === 'maxBytes' ? 1 : 0);
  }
  return Object.freeze(out) as unknown as RemoteOptions;
}

/** Validates one provider's options and builds its key source; every problem names its path. */
export function compileProvider(
  name: string,
  raw: unknown,
  path: string,
  context: RemoteContext & { env: Readonly<Record<string, string | undefined>> },
): Provider {
  const o = asObject(raw, path);
  onlyKeys(o, path, PROVIDER_KEYS);
  const issuer = asString(o.issuer, `${path}.issuer`);
  const algorithms = asStringList(o.algorithms, `${path}.algorithms`, { nonEmpty: true }).map((alg, i) => {
    if (!isAlgorithm(alg)) {
      throw optionsError(
        `${path}.algorithms[${i}]`,
        `expected one of ${Object.keys(ALGORITHMS).join(', ')}, got "${alg}"`,
      );
    }
    return alg;
  });
  const audiences = asStringList(o.audiences, `${path}.audiences`, { nonEmpty: true });
  const given = (['secret', 'keys', 'jwksUri'] as const).filter((k) => o[k] !== undefined);
  if (given.length > 1) throw optionsError(path, `give only one key source, not ${given.join(' and ')}`);
  const symmetric = algorithms.filter((a) => ALGORITHMS[a].kind === 'oct');
  if (given[0] === 'secret') {
    if (symmetric.length !== algorithms.length) {
      throw optionsError(`${path}.algorithms`, 'a secret verifies only HS256, HS384 or HS512');
    }
  } else if (symmetric.length > 0) {
    throw optionsError(`${path}.algorithms`, `${symmetric.join(', ')} needs a shared secret (option secret)`);
  }
  const remote = compileRemote(o.remote, `${path}.remote`);
  let source: KeySource;
  if (given[0] === 'secret') {
    if (typeof o.secret !== 'string') {
      // Shape first, so a null, a number or an unknown encoding is a named option error, not a crash.
      const spec = asObject(o.secret, `${path}.secret`);
      onlyKeys(spec, `${path}.secret`, ['value', 'env', 'file', 'encoding']);
      for (const k of ['value', 'env', 'file'] as const) {
        if (spec[k] !== undefined && typeof spec[k] !== 'string') {
          throw optionsError(`${path}.secret.${k}`, `expected a string, got ${describe(spec[k])}`);
        }
      }
      if (spec.encoding !== undefined) {
        asOneOf(spec.encoding, `${path}.secret.encoding`, ['utf8', 'base64', 'base64url', 'hex']);
      }
    }
    const key = loadSecret(o.secret as SecretOption, algorithms, context.env);
    if (typeof key === 'string') throw optionsError(`${path}.secret`, key);
    source = createStaticKeySource('secret', new KeySet([key]));
  } else if (given[0] === 'keys') {
    try {
      source = createStaticKeySource('static', new KeySet(loadStaticKeys(asObject(o.keys, `${path}.keys`))));
    } catch (err) {
      throw optionsError(`${path}.keys`, (err as Error).message);
    }
  } else if (given[0] === 'jwksUri') {
    const uri = asString(o.jwksUri, `${path}.jwksUri`);
    const problem = checkFetchableUrl(uri, remote.allowHttp);
    if (problem) throw optionsError(`${path}.jwksUri`, problem);
    source = new RemoteJwksSource(async () => uri, 'jwks_uri', remote, context);
  } else {
    const problem = checkFetchableUrl(issuer, remote.allowHttp);
    if (problem)
      throw optionsError(
        `${path}.issuer`,
        `without secret, keys or jwksUri the issuer URL is used for discovery, but it ${problem}`,
      );
    let discovered: string | undefined;
    const resolve = async () => {
      discovered ??= await discoverJwksUri(issuer, { ...remote, fetch: context.fetch });
      return discovered;
    };
    source = new RemoteJwksSource(resolve, 'discovery', remote, context);
  }
  const rolesClaim = o.rolesClaim === undefined ? 'roles' : (o.rolesClaim as string | string[]);
  let readRoles: ClaimReader;
  try {
    readRoles = compileClaimPath(rolesClaim);
  } catch (err) {
    throw optionsError(`${path}.rolesClaim`, (err as Error).message);
  }
  const policy: ClaimPolicy = Object.freeze({
    issuer,
    audiences: Object.freeze(audiences),
    audienceMode:
      o.audienceMode === undefined ? 'any' : asOneOf(o.audienceMode, `${path}.audienceMode`, ['any', 'all']),
    tokenTypes: Object.freeze(
      o.tokenTypes === undefined ? [] : asStringList(o.tokenTypes, `${path}.tokenTypes`).map(normalizeType),
    ),
    leewaySeconds: o.leewaySeconds === undefined ? 0 : asNumber(o.leewaySeconds, `${path}.leewaySeconds`),
    maxTokenAgeSeconds:
      o.maxTokenAgeSeconds === undefined
        ? undefined
        : asNumber(o.maxTokenAgeSeconds, `${path}.maxTokenAgeSeconds`, 1),
    requireExp: o.requireExp === undefined ? true : asBoolean(o.requireExp, `${path}.requireExp`),
    requireSub: o.requireSub === undefined ? false : asBoolean(o.requireSub, `${path}.requireSub`),
    requiredClaims: Object.freeze(
      o.requiredClaims === undefined ? [] : asStringList(o.requiredClaims, `${path}.requiredClaims`),
    ),
  });
  const delegation = compileDelegation(o.delegation, `${path}.delegation`);
  const dpop =
    o.dpop === undefined
      ? 'optional'
      : asOneOf(o.dpop, `${path}.dpop`, ['required', 'optional', 'off'] as const);
  return Object.freeze({
    dpop,
    name,
    policy,
    algorithms: new Set(algorithms),
    source,
    rolesClaim,
    readRoles,
    delegation,
  });
}
