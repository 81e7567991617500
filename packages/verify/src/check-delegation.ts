import { fail } from './errors.ts';
import { asBoolean, asNumber, asObject, asStringList, onlyKeys, optionsError } from './lib/check-options.ts';
import type { JwtClaims } from './parse-token.ts';

/**
 * What a provider accepts of the delegation chain in `act` (RFC 8693 4.1), compiled once. The
 * outermost `act` names the current actor; nested ones name prior actors.
 */
export interface DelegationPolicy {
  /** A token must carry `act` (it was obtained by token exchange on someone's behalf). */
  readonly required: boolean;
  /** The most actors the chain may name (nesting depth of `act`); 0 refuses delegated tokens. */
  readonly maxDepth: number;
  /** Accepted current actors (`act.sub`); undefined: any. */
  readonly actors: ReadonlySet<string> | undefined;
}

/**
 * Compiles delegation options (a provider's `delegation`, or a requirement's) into a policy;
 * throws ERR_OPTIONS_INVALID naming `path`.
 */
export function compileDelegation(raw: unknown, path: string): DelegationPolicy | undefined {
  if (raw === undefined) return undefined;
  const o = asObject(raw, path);
  onlyKeys(o, path, ['required', 'maxDepth', 'actors']);
  const required = o.required === undefined ? false : asBoolean(o.required, `${path}.required`);
  const maxDepth =
    o.maxDepth === undefined ? Number.POSITIVE_INFINITY : asNumber(o.maxDepth, `${path}.maxDepth`, 0);
  if (Number.isFinite(maxDepth) && !Number.isInteger(maxDepth))
    throw optionsError(`${path}.maxDepth`, `expected a whole number, got ${maxDepth}`);
  if (required && maxDepth === 0)
    throw optionsError(path, 'required: true with maxDepth: 0 would refuse every token');
  const actors =
    o.actors === undefined
      ? undefined
      : new Set(asStringList(o.actors, `${path}.actors`, { nonEmpty: true }));
  return Object.freeze({ required, maxDepth, actors });
}

/** Deeper than this is malformed whatever the policy says: nothing legitimate chains so far. */
const HARD_DEPTH_LIMIT = 32;

/** The chain of actors, current first: `act.sub`, `act.act.sub`, ... Rejects a malformed `act`. */
export function readActors(claims: JwtClaims): string[] {
  const actors: string[] = [];
  let act: unknown = claims.act;
  while (act !== undefined) {
    // RFC 8693 4.1: a JSON object whose members identify the actor, `sub` among them here.
    if (act === null || typeof act !== 'object' || Array.isArray(act)) throw fail('ERR_CLAIM_INVALID', 'act');
    const { sub, act: prior } = act as { sub?: unknown; act?: unknown };
    if (typeof sub !== 'string' || sub === '') throw fail('ERR_CLAIM_INVALID', 'act.sub');
    actors.push(sub);
    if (actors.length > HARD_DEPTH_LIMIT) throw fail('ERR_CLAIM_INVALID', 'act nested too deeply');
    act = prior;
  }
  return actors;
}

/**
 * Checks the delegation chain of a token whose signature and claims are already verified. Only
 * the current actor is matched against `actors`: RFC 8693 4.1 says prior actors "are
 * informational only and are not to be considered in access control decisions".
 */
export function checkDelegation(policy: DelegationPolicy, claims: JwtClaims): void {
  const actors = readActors(claims);
  if (actors.length === 0) {
    if (policy.required) throw fail('ERR_DELEGATION_REQUIRED');
    return;
  }
  if (actors.length > policy.maxDepth)
    throw fail('ERR_DELEGATION_TOO_DEEP', `${actors.length} actors, at most ${policy.maxDepth}`);
  if (policy.actors !== undefined && !policy.actors.has(actors[0] as string))
    throw fail('ERR_ACTOR_NOT_ALLOWED');
}
