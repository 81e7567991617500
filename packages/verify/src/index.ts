/**
 * `@jwtgate/verify`: the one place that decides whether a JWT is valid.
 *
 * @example
 * import { createVerifier, compileTokenExtractor, toErrorResponse } from '@jwtgate/verify';
 * const verifier = createVerifier({ providers: { tutorial: {
 *   issuer: 'jwtgo.io', audiences: ['billing.jwtgo.io'], algorithms: ['HS256'], secret: { env: 'SECRET_KEY' },
 * } } });
 * const { claims } = await verifier.verify(compileTokenExtractor([{ header: 'Token' }])(req));
 */
export { ALGORITHMS, type Algorithm } from './algorithms.ts';
export { type Authorizer, compileRequirement, type Requirement, readRoles, readScopes } from './authorize.ts';
export { readActors } from './check-delegation.ts';
export { type ClaimReader, compileClaimPath } from './claim-path.ts';
export {
  createVerifier,
  type RevocationSubject,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
  type VerifyCallOptions,
} from './create-verifier.ts';
export { boundThumbprint, type DpopMode, type DpopPresentation } from './dpop/check-binding.ts';
export {
  accessTokenHash,
  type CheckedProof,
  checkDpopProof,
  type DpopExpectation,
  type DpopNonce,
  type DpopPolicy,
} from './dpop/check-dpop-proof.ts';
export { DPOP_ALGORITHMS } from './dpop/dpop-algorithms.ts';
export { createDpopPolicy, type DpopOptions } from './dpop/dpop-policy.ts';
export { normalizeHtu } from './dpop/normalize-htu.ts';
export { jwkThumbprint } from './dpop/proof-key.ts';
export {
  type DpopCredentials,
  type DpopRequestLike,
  readDpopCredentials,
  requestUrl,
  usesDpopScheme,
} from './dpop/read-dpop-request.ts';
export { createMemoryReplayCache, type ReplayCache } from './dpop/replay-cache.ts';
export { type BearerError, ERROR_CODES, type ErrorCode, JwtGateError, toJwtGateError } from './errors.ts';
export {
  compileTokenExtractor,
  DEFAULT_TOKEN_SOURCES,
  type RequestLike,
  type TokenExtractor,
  type TokenSource,
} from './extract-token.ts';
export { type ErrorResponse, type ErrorResponseOptions, toErrorResponse } from './http-response.ts';
export type { FetchFunction } from './keys/fetch-json.ts';
export type { KeySourceState } from './keys/key-source.ts';
export type { FetchEvent, RemoteOptions } from './keys/remote-jwks.ts';
export type { SecretOption } from './keys/secret.ts';
export type { StaticKeysOption } from './keys/static-keys.ts';
export type { JwtClaims, JwtHeader } from './parse-token.ts';
export type { DelegationOptions, ProviderOptions } from './provider.ts';
