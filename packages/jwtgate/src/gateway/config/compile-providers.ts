import {
  createVerifier,
  type FetchEvent,
  type FetchFunction,
  type ProviderOptions,
  type ReplayCache,
  type Verifier,
} from '@jwtgate/verify';
import { REVOCATION_GRACE_SECONDS, type RevocationList } from '../state/revocation-list.ts';
import type { ConfigPath, ConfigProblems } from './config-source.ts';
import { toMs } from './duration.ts';
import type { GatewaySection, ProviderConfig } from './types.ts';

/** What the verifier is given besides the configuration: the revocation list, clock and fetch. */
export interface ProviderContext {
  readonly env?: NodeJS.ProcessEnv;
  readonly revocations: RevocationList;
  readonly onKeyFetch?: (provider: string, event: FetchEvent) => void;
  readonly now?: () => number;
  /** The fetch of remote key sources (the shared JWKS cache with `redis.jwks_cache`). Default: the global fetch. */
  readonly fetch?: FetchFunction;
  /** Where DPoP proof ids are remembered (Redis with `gateway.redis`). Default: in this process. */
  readonly dpopReplay?: ReplayCache;
}

/** A provider as the verify core names its options (camelCase); the schema has filled its defaults. */
function providerOptions(p: ProviderConfig): ProviderOptions {
  const keySource =
    p.secret !== undefined
      ? { secret: p.secret }
      : p.keys !== undefined
        ? {
            keys: {
              ...(p.keys.jwks_file ? { jwksFile: p.keys.jwks_file } : {}),
              ...(p.keys.files ? { files: p.keys.files } : {}),
            },
          }
        : p.jwks_uri !== undefined
          ? { jwksUri: p.jwks_uri }
          : {};
  // Unset remote settings are the verify core's defaults (they are its, not the gateway's).
  const remote: Record<string, number | boolean> = {};
  if (p.jwks?.timeout !== undefined) remote.timeoutMs = toMs(p.jwks.timeout);
  if (p.jwks?.cooldown !== undefined) remote.cooldownMs = toMs(p.jwks.cooldown);
  if (p.jwks?.cache_max_age !== undefined) remote.cacheMaxAgeMs = toMs(p.jwks.cache_max_age);
  if (p.jwks?.max_bytes !== undefined) remote.maxBytes = p.jwks.max_bytes;
  if (p.jwks?.allow_http !== undefined) remote.allowHttp = p.jwks.allow_http;
  return {
    issuer: p.issuer,
    algorithms: p.algorithms,
    audiences: p.audiences,
    ...keySource,
    audienceMode: p.audience_mode,
    ...(p.token_types ? { tokenTypes: p.token_types } : {}),
    leewaySeconds: toMs(p.leeway) / 1000,
    ...(p.max_token_age !== undefined ? { maxTokenAgeSeconds: toMs(p.max_token_age) / 1000 } : {}),
    requireSub: p.require_sub,
    ...(p.required_claims ? { requiredClaims: p.required_claims } : {}),
    rolesClaim: p.roles_claim,
    dpop: p.dpop,
    ...(Object.keys(remote).length ? { remote } : {}),
  };
}

// The verifier names its own options (camelCase); say them as the file spells them.
const FILE_NAMES: [string, string][] = [
  ['jwksUri', 'jwks_uri'],
  ['jwksFile', 'jwks_file'],
  ['audienceMode', 'audience_mode'],
  ['tokenTypes', 'token_types'],
  ['leewaySeconds', 'leeway'],
  ['maxTokenAgeSeconds', 'max_token_age'],
  ['requireSub', 'require_sub'],
  ['requiredClaims', 'required_claims'],
  ['rolesClaim', 'roles_claim'],
  ['timeoutMs', 'timeout'],
  ['cooldownMs', 'cooldown'],
  ['cacheMaxAgeMs', 'cache_max_age'],
  ['maxBytes', 'max_bytes'],
  ['allowHttp', 'allow_http'],
];

/** `options.providers.corp.remote.timeoutMs: ...` as the file's path (`gateway.providers.corp.jwks.timeout`) and message. */
function fileProblem(message: string, providers: readonly string[]): { path: ConfigPath; message: string } {
  const colon = message.indexOf(': ');
  const where = colon === -1 ? message : message.slice(0, colon);
  const rest = colon === -1 ? 'invalid' : message.slice(colon + 2);
  if (where.startsWith('options.cache.'))
    return {
      path: ['gateway', 'token_cache', where.endsWith('maxBytes') ? 'max_bytes' : 'max_entries'],
      message: rest,
    };
  const m = /^options\.providers\.(.+)$/.exec(where);
  if (m === null) return { path: ['gateway', 'providers'], message };
  // A provider's name may hold dots: the longest configured name that starts the path is it.
  const tail = m[1] as string;
  const name = [...providers]
    .sort((a, b) => b.length - a.length)
    .find((p) => tail === p || tail.startsWith(`${p}.`));
  if (name === undefined) return { path: ['gateway', 'providers'], message };
  const keys = tail
    .slice(name.length + 1)
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : (FILE_NAMES.find(([from]) => from === s)?.[1] ?? s)))
    .map((s) => (s === 'remote' ? 'jwks' : s));
  return { path: ['gateway', 'providers', name, ...keys], message: rest };
}

/**
 * Compiles every provider into the one verifier (the verify core checks each provider's options
 * and refuses what it would not verify safely). Null, with the problems recorded, when it refuses.
 */
export function compileProviders(
  g: GatewaySection,
  context: ProviderContext,
  problems: ConfigProblems,
): Verifier | null {
  // Revocations are kept until exp plus this grace (RevocationList); a larger leeway would let a
  // revoked token back in after its entry is gone.
  for (const [name, p] of Object.entries(g.providers)) {
    if (toMs(p.leeway) > REVOCATION_GRACE_SECONDS * 1000) {
      problems.add(['gateway', 'providers', name, 'leeway'], `at most ${REVOCATION_GRACE_SECONDS}s`);
    }
  }
  try {
    return createVerifier({
      providers: Object.fromEntries(
        Object.entries(g.providers).map(([name, p]) => [name, providerOptions(p)]),
      ),
      isRevoked: context.revocations.isRevoked,
      ...(context.env ? { env: context.env } : {}),
      ...(context.now ? { now: context.now } : {}),
      ...(context.onKeyFetch ? { onKeyFetch: context.onKeyFetch } : {}),
      ...(context.fetch ? { fetch: context.fetch } : {}),
      ...(context.dpopReplay ? { dpop: { replayCache: context.dpopReplay } } : {}),
      ...(g.token_cache.max_entries === 0
        ? {}
        : { cache: { maxEntries: g.token_cache.max_entries, maxBytes: g.token_cache.max_bytes } }),
    });
  } catch (err) {
    const message = (err as { detail?: string }).detail ?? (err as Error).message;
    const p = fileProblem(message, Object.keys(g.providers));
    problems.add(p.path, p.message);
    return null;
  }
}
