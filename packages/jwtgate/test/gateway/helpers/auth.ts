// Shared fixtures of the authenticate and authorize tests: three HS256 providers (b reads roles
// at realm_access.roles, tutorial reads the Token header too), tokens for each, and a route's
// authenticate-then-authorize as the pipeline runs them.
import {
  createVerifier,
  type ProviderOptions,
  type RequestLike,
  type Requirement,
  type TokenSource,
  type Verifier,
} from '@jwtgate/verify';
import { NOW_MS, NOW_SECONDS, secretBytes, signToken } from '../../../../verify/test/helpers/keys.ts';
import { compileAuthenticate, type Identity } from '../../../src/gateway/pipeline/authenticate.ts';
import { compileAuthorize } from '../../../src/gateway/pipeline/authorize.ts';
import { SECRET_A, SECRET_B } from './config.ts';

const TUTORIAL_SECRET = 'tutorial-secret-that-is-long-enough-0123456789abcdef';

const PROVIDERS: Record<string, ProviderOptions> = {
  a: { issuer: 'https://a.test', audiences: ['api'], algorithms: ['HS256'], secret: SECRET_A },
  b: {
    issuer: 'https://b.test',
    audiences: ['api'],
    algorithms: ['HS256'],
    secret: SECRET_B,
    rolesClaim: 'realm_access.roles',
  },
  tutorial: {
    issuer: 'jwtgo.io',
    audiences: ['billing.jwtgo.io'],
    algorithms: ['HS256'],
    secret: TUTORIAL_SECRET,
  },
};

/** Token sources per provider, as `token_from` in the config (undefined: Authorization: Bearer). */
export const SOURCES: Record<string, readonly TokenSource[] | undefined> = {
  a: undefined,
  b: undefined,
  tutorial: [{ header: 'Token' }, { bearer: true }],
};

export const verifier = createVerifier({ providers: PROVIDERS, now: () => NOW_MS });

export interface RequirementSpec extends Requirement {
  readonly providers: string[];
  readonly mode?: 'any' | 'all';
  /** `requires.amr_any`. */
  readonly amrAny?: readonly string[];
}

/** A route's authenticate then authorize steps, as the pipeline runs them. */
export function auth(spec: RequirementSpec, sources = SOURCES, v: Verifier = verifier) {
  const { providers, mode = 'any', amrAny, ...requirement } = spec;
  const authenticate = compileAuthenticate(v, providers, mode, (name) => sources[name]);
  const authorize = compileAuthorize(v, providers, requirement, amrAny);
  return async (request: RequestLike): Promise<Identity> => {
    const identity = await authenticate(request);
    authorize?.(identity);
    return identity;
  };
}

const SECRETS: Record<string, string> = { a: SECRET_A, b: SECRET_B, tutorial: TUTORIAL_SECRET };

export function token(provider: 'a' | 'b' | 'tutorial', claims: Record<string, unknown> = {}, exp?: number) {
  const p = PROVIDERS[provider] as ProviderOptions;
  return signToken(secretBytes(SECRETS[provider]), {
    alg: 'HS256',
    iss: p.issuer,
    aud: p.audiences[0],
    claims: { sub: `${provider}-user`, ...claims },
    ...(exp !== undefined ? { exp } : {}),
  });
}

export const bearer = (t: string): RequestLike => ({ headers: { authorization: `Bearer ${t}` } });
export const EXPIRED = NOW_SECONDS - 60;
