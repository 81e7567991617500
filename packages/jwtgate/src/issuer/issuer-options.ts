import { IssuerError } from './errors.ts';
import {
  isSigningAlgorithm,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from './keys/generate-signing-key.ts';
import { trustedProxies } from './protect/client-address.ts';
import type { RateOption } from './protect/token-endpoint-guard.ts';

/** Everything the issuer is configured with, validated (see resolveIssuerOptions). */
export interface IssuerOptions {
  /** The `iss` of every token and the base of every endpoint URL; an origin (no path). */
  readonly issuerUrl: string;
  readonly host: string;
  readonly port: number;
  /** SQLite file of the store. */
  readonly storeFile: string;
  readonly tokenLifetimeSeconds: number;
  /** Algorithm of new signing keys. */
  readonly alg: SigningAlgorithm;
  /** A new key is published this long before it signs. */
  readonly prePublishSeconds: number;
  /** A replaced key stays published for the token lifetime plus this margin (clock skew, in-flight tokens). */
  readonly retentionMarginSeconds: number;
  /** Scheduled rotation: a new key signs this long after the current one began; null = only on demand. */
  readonly rotateEverySeconds: number | null;
  readonly keyPollMs: number;
  readonly revocationPollMs: number;
  readonly maxBodyBytes: number;
  readonly rateLimit: { readonly perClient: RateOption | null; readonly perAddress: RateOption | null };
  readonly lockout: {
    readonly maxFailures: number;
    readonly windowMs: number;
    readonly lockMs: number;
  } | null;
  /** Bearer credential of the admin API; null disables the API. */
  readonly adminToken: string | null;
  /** Users' logins: lock-out after consecutive failures (null: none), attempts per client address (null: unlimited). */
  readonly login: {
    readonly lockout: { readonly maxFailures: number; readonly lockMs: number } | null;
    readonly perAddress: RateOption | null;
  };
  /**
   * Users' refresh tokens: a family's absolute lifetime, how long a rotated one may be retried
   * (confidential clients only), and how long a public client's may go unused.
   */
  readonly refreshTokens: {
    readonly absoluteLifetimeSeconds: number;
    readonly graceSeconds: number;
    readonly publicIdleLifetimeSeconds: number;
  };
  /**
   * Proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client: behind a load
   * balancer, throttles and lock-outs then count per client, not per balancer. Empty: the peer.
   */
  readonly trustedProxies: readonly string[];
  /** Gateways' Redis: revocations are relayed there (see RedisRevocationRelay); null: not used. */
  readonly redis: { readonly url: string; readonly prefix: string } | null;
  /** Serve the web console under /console (administrators sign in with their user account). */
  readonly console: boolean;
  /** The device authorization grant (RFC 8628): how long a device code lives, how often a device may poll. */
  readonly deviceFlow: { readonly codeLifetimeSeconds: number; readonly pollIntervalSeconds: number };
}

export const ISSUER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  storeFile: '.data/issuer.db',
  tokenLifetimeSeconds: 300,
  alg: 'ES256' as SigningAlgorithm,
  prePublishSeconds: 3600,
  retentionMarginSeconds: 60,
  rotateEverySeconds: null,
  keyPollMs: 3000,
  revocationPollMs: 250,
  maxBodyBytes: 16 * 1024,
  rateLimit: Object.freeze({ perClient: { rate: 20, burst: 40 }, perAddress: { rate: 100, burst: 200 } }),
  lockout: Object.freeze({ maxFailures: 10, windowMs: 5 * 60_000, lockMs: 15 * 60_000 }),
  adminToken: null,
  login: Object.freeze({
    lockout: Object.freeze({ maxFailures: 5, lockMs: 15 * 60_000 }),
    perAddress: Object.freeze({ rate: 1, burst: 20 }),
  }),
  refreshTokens: Object.freeze({
    absoluteLifetimeSeconds: 30 * 24 * 3600,
    graceSeconds: 10,
    publicIdleLifetimeSeconds: 24 * 3600,
  }),
  redis: null,
  trustedProxies: Object.freeze([]) as readonly string[],
  console: true,
  // RFC 8628 3.2 and 3.5: 5 s is the default interval; ten minutes to type a code is generous.
  deviceFlow: Object.freeze({ codeLifetimeSeconds: 600, pollIntervalSeconds: 5 }),
});

/** The JWKS Cache-Control max-age: at most 5 minutes, and well under the pre-publication time. */
export function jwksMaxAgeSeconds(options: Pick<IssuerOptions, 'prePublishSeconds'>): number {
  return Math.max(0, Math.min(300, Math.floor(options.prePublishSeconds / 2)));
}

function fail(message: string): never {
  throw new IssuerError('ERR_ISSUER_CONFIG', message);
}

function positive(value: number, name: string, min = 1): number {
  if (!Number.isFinite(value) || value < min) fail(`${name}: expected a number >= ${min}, got ${value}`);
  return value;
}

/** What resolveIssuerOptions takes: any option, the refresh token ones each on its own. */
export type IssuerOptionsInput = Partial<Omit<IssuerOptions, 'alg' | 'refreshTokens' | 'deviceFlow'>> & {
  alg?: string;
  refreshTokens?: Partial<IssuerOptions['refreshTokens']>;
  deviceFlow?: Partial<IssuerOptions['deviceFlow']>;
};

/**
 * Fills defaults and checks every option; a problem is an ERR_ISSUER_CONFIG naming the option.
 * The issuer URL defaults to http://<host>:<port>.
 */
export function resolveIssuerOptions(given: IssuerOptionsInput): IssuerOptions {
  const o = {
    ...ISSUER_DEFAULTS,
    ...given,
    alg: given.alg ?? ISSUER_DEFAULTS.alg,
    refreshTokens: { ...ISSUER_DEFAULTS.refreshTokens, ...given.refreshTokens },
    deviceFlow: { ...ISSUER_DEFAULTS.deviceFlow, ...given.deviceFlow },
  };
  if (o.alg === 'HS256')
    fail(
      'alg: HS256 is only for --tutorial (a shared secret cannot be published in a JWKS); use ES256, RS256, PS256 or EdDSA',
    );
  if (!isSigningAlgorithm(o.alg)) fail(`alg: expected one of ${SIGNING_ALGORITHMS.join(', ')}, got ${o.alg}`);
  const issuerUrl = (
    given.issuerUrl ?? `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`
  ).replace(/\/$/, '');
  const url = URL.parse(issuerUrl);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    fail(`issuer URL: expected an https (or http) URL, got ${issuerUrl}`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '')
    fail(
      `issuer URL: expected an origin such as https://auth.example.com (no path, query or credentials), got ${issuerUrl}`,
    );
  positive(o.tokenLifetimeSeconds, 'token lifetime (seconds)');
  positive(o.prePublishSeconds, 'pre-publication time (seconds)', 0);
  positive(o.retentionMarginSeconds, 'retention margin (seconds)', 0);
  if (o.rotateEverySeconds !== null) {
    positive(o.rotateEverySeconds, 'rotation period (seconds)');
    if (o.rotateEverySeconds <= o.prePublishSeconds)
      fail(
        `rotation period: ${o.rotateEverySeconds} s must be longer than the pre-publication time (${o.prePublishSeconds} s)`,
      );
  }
  positive(o.keyPollMs, 'key poll interval (ms)', 50);
  // Replicas learn of a new key by polling the store: it must be published everywhere before it signs.
  if (o.prePublishSeconds * 1000 < 2 * o.keyPollMs)
    fail(
      `pre-publication time: ${o.prePublishSeconds} s is shorter than two key polls (${(2 * o.keyPollMs) / 1000} s); every replica must publish a new key before any signs with it`,
    );
  try {
    trustedProxies(o.trustedProxies);
  } catch (err) {
    fail((err as Error).message);
  }
  if (o.redis !== null) {
    if (!/^rediss?:\/\/./.test(o.redis.url))
      fail(`redis: expected a redis:// or rediss:// URL, got ${o.redis.url}`);
    if (o.redis.prefix === '') fail('redis key prefix: must not be empty');
  }
  positive(o.revocationPollMs, 'revocation poll interval (ms)', 10);
  positive(o.maxBodyBytes, 'body size limit (bytes)', 1024);
  checkUserOptions(o);
  const { codeLifetimeSeconds, pollIntervalSeconds } = o.deviceFlow;
  if (!Number.isInteger(codeLifetimeSeconds) || codeLifetimeSeconds < 30 || codeLifetimeSeconds > 3600)
    fail(`device code lifetime: expected 30-3600 whole seconds, got ${codeLifetimeSeconds}`);
  if (
    !Number.isInteger(pollIntervalSeconds) ||
    pollIntervalSeconds < 1 ||
    pollIntervalSeconds >= codeLifetimeSeconds
  )
    fail(
      `device poll interval: expected whole seconds from 1 to less than the code lifetime (${codeLifetimeSeconds} s), got ${pollIntervalSeconds}`,
    );
  return Object.freeze({ ...o, issuerUrl, alg: o.alg });
}

/** The login and refresh token options of the user flows (issue 6). */
function checkUserOptions(o: Pick<IssuerOptions, 'login' | 'refreshTokens' | 'tokenLifetimeSeconds'>): void {
  const { lockout, perAddress } = o.login;
  if (lockout !== null) {
    if (!Number.isInteger(lockout.maxFailures) || lockout.maxFailures < 1)
      fail(`login lock-out: expected a whole number of failures >= 1, got ${lockout.maxFailures}`);
    positive(lockout.lockMs, 'login lock-out duration (ms)', 1000);
  }
  if (perAddress !== null) {
    positive(perAddress.rate, 'login attempts per address (per second)', Number.MIN_VALUE);
    positive(perAddress.burst, 'login attempts per address (burst)');
  }
  const { absoluteLifetimeSeconds, graceSeconds } = o.refreshTokens;
  positive(absoluteLifetimeSeconds, 'refresh token absolute lifetime (seconds)', 60);
  if (absoluteLifetimeSeconds < o.tokenLifetimeSeconds)
    fail(
      `refresh token absolute lifetime: ${absoluteLifetimeSeconds} s is shorter than the access token lifetime (${o.tokenLifetimeSeconds} s)`,
    );
  positive(graceSeconds, 'refresh token reuse grace (seconds)', 0);
  // Longer than the absolute lifetime is allowed: the family's end comes first then.
  positive(
    o.refreshTokens.publicIdleLifetimeSeconds,
    "public clients' refresh token idle lifetime (seconds)",
    60,
  );
  if (graceSeconds > 300)
    fail(`refresh token reuse grace: at most 300 s (a retry, not a second life), got ${graceSeconds}`);
}
