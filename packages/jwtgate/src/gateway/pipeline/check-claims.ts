import { compileClaimPath, type JwtClaims } from '@jwtgate/verify';
import type { CompiledRoute } from '../config/compile-route.ts';
import { GatewayError } from '../errors.ts';
import { readPathParams } from '../routes/path-params.ts';
import type { PathPattern } from '../routes/path-pattern.ts';
import { type Denial, gatewayDenial, type RequestState } from './request-state.ts';

type Scalar = string | number | boolean;

/** Checks a route's claim conditions: the name of the first claim that fails, or null. */
export type CheckClaims = (claims: JwtClaims, params: Readonly<Record<string, string>>) => string | null;

const PARAM_REF = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Compiles `requires.claims`: each claim (a claim path, as `roles_claim`) must equal the value,
 * be one of the list, or equal the path parameter `{name}` of `pattern`. Only a string, number or
 * boolean claim can match (an array or object never does); comparison is exact (`===`). Throws,
 * naming the claim, when a parameter is not in the path or a claim path is malformed.
 */
export function compileClaimConditions(
  conditions: Readonly<Record<string, Scalar | readonly Scalar[]>>,
  pattern: PathPattern,
): { check: CheckClaims; usesParams: boolean } {
  const names = new Set(pattern.params.map((p) => p.name));
  const keys = Object.keys(conditions);
  let usesParams = false;
  const steps = Object.entries(conditions).map(([claim, expected]) => {
    let read: ReturnType<typeof compileClaimPath>;
    try {
      read = compileClaimPath(claim);
    } catch {
      throw Object.assign(new Error(`"${claim}" is not a claim path`), { claim });
    }
    const ref = typeof expected === 'string' ? PARAM_REF.exec(expected) : null;
    if (ref !== null) {
      const name = ref[1] as string;
      if (!names.has(name))
        throw Object.assign(new Error(`{${name}} is not a parameter of the path ${pattern.source}`), {
          claim,
        });
      usesParams = true;
      return { read, test: (v: unknown, params: Readonly<Record<string, string>>) => v === params[name] };
    }
    const allowed = new Set<Scalar>(Array.isArray(expected) ? expected : [expected as Scalar]);
    return {
      read,
      test: (v: unknown) =>
        (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && allowed.has(v),
    };
  });
  return {
    usesParams,
    check: (claims, params) => {
      for (const [i, step] of steps.entries())
        if (!step.test(step.read(claims), params)) return keys[i] as string;
      return null;
    },
  };
}

/**
 * Step: the route's claim conditions on the identity's token (with `requires.all`, the first
 * provider's). Failing one is 403 ERR_CLAIM_CONDITION (RFC 6750 insufficient_scope); a path
 * parameter that is not safe to compare is 400 ERR_PATH_INVALID.
 */
export function checkClaims(s: RequestState): Denial | undefined {
  const route = s.route as CompiledRoute;
  if (route.claims === null || s.identity === undefined) return undefined;
  const params = route.claims.usesParams ? readPathParams(route.pattern, s.path) : {};
  if (params === null) return gatewayDenial(s, new GatewayError('ERR_PATH_INVALID'));
  const failed = route.claims.check(s.identity.claims, params);
  if (failed === null) return undefined;
  return gatewayDenial(
    s,
    // Which claim failed is not told to the client.
    new GatewayError('ERR_CLAIM_CONDITION', {
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
    }),
  );
}
