import type { Command } from 'commander';
import { ISSUER_DEFAULTS } from '../../issuer/issuer-options.ts';
import { startTracing, stopTracing } from '../../lib/tracing/tracing.ts';
import { hostOption, issuerUrlOption, redisOption, storeOption } from '../env-options.ts';
import { type FlagNames, namingFlags, STORE_FLAGS } from '../name-flags.ts';
import { collect, duration, port, seconds, wholeNumber } from '../parse-value.ts';
import { stopOnSignals } from '../stop-on-signals.ts';

/** The issuer options' own names (resolveIssuerOptions), and the flags that set them. */
const ISSUER_FLAGS: FlagNames = {
  ...STORE_FLAGS,
  alg: '--alg',
  'issuer URL': '--issuer-url',
  'token lifetime (seconds)': '--token-lifetime',
  'pre-publication time (seconds)': '--pre-publish',
  'pre-publication time': '--pre-publish',
  'retention margin (seconds)': '--retention-margin',
  'rotation period (seconds)': '--rotate-every',
  'rotation period': '--rotate-every',
  'key poll interval (ms)': '--key-poll',
  'trusted proxy': '--trust-proxy',
  redis: '--redis',
  'redis key prefix': '--redis-prefix',
  'login lock-out': '--login-lockout',
  'refresh token absolute lifetime (seconds)': '--refresh-lifetime',
  'refresh token absolute lifetime': '--refresh-lifetime',
  'refresh token reuse grace (seconds)': '--refresh-grace',
  'refresh token reuse grace': '--refresh-grace',
  "public clients' refresh token idle lifetime (seconds)": '--refresh-idle-public',
  'device code lifetime': '--device-code-lifetime',
  'device poll interval': '--device-poll-interval',
  'second factor roles': '--mfa-role',
};

/** Registers `jwtgate issuer`: the OAuth 2.0 token service on its store. */
export function registerIssuerCommand(program: Command): void {
  program
    .command('issuer')
    .description(
      'run the OAuth 2.0 token service: client credentials, users (code + PKCE, device flow), token exchange',
    )
    .addOption(issuerUrlOption())
    .addOption(hostOption(ISSUER_DEFAULTS.host))
    .option('--port <port>', 'port to listen on', port, ISSUER_DEFAULTS.port)
    .addOption(storeOption('SQLite store file, or a postgres:// URL'))
    .option(
      '--token-lifetime <seconds>',
      'access token lifetime',
      seconds,
      ISSUER_DEFAULTS.tokenLifetimeSeconds,
    )
    .option('--alg <alg>', 'signing algorithm of new keys: ES256, RS256, PS256, EdDSA', ISSUER_DEFAULTS.alg)
    .option(
      '--pre-publish <seconds>',
      'publish a new key this long before it signs',
      wholeNumber,
      ISSUER_DEFAULTS.prePublishSeconds,
    )
    .option(
      '--retention-margin <seconds>',
      'keep a replaced key published for the token lifetime plus this',
      wholeNumber,
      ISSUER_DEFAULTS.retentionMarginSeconds,
    )
    .option(
      '--rotate-every <duration>',
      'rotate the signing key on a schedule, e.g. 30d (default: only on demand)',
      duration,
    )
    .option(
      '--key-poll <ms>',
      'how often the store is re-read for key changes',
      wholeNumber,
      ISSUER_DEFAULTS.keyPollMs,
    )
    .option(
      '--rate-limit-client <rps>',
      'token endpoint requests a second per client id (0: off)',
      wholeNumber,
      20,
    )
    .option(
      '--rate-limit-address <rps>',
      'token endpoint requests a second per address (0: off)',
      wholeNumber,
      100,
    )
    .option(
      '--lockout-failures <n>',
      'failed authentications in 5 minutes that lock a client id at an address for 15 minutes (0: off)',
      wholeNumber,
      10,
    )
    .addOption(redisOption())
    .option('--redis-prefix <prefix>', "prefix of the Redis keys (as the gateways' key_prefix)", 'jwtgate:')
    .option('--tutorial', "serve only the tutorial's HS256 token (GET /), signed with SECRET_KEY", false)
    .option(
      '--trust-proxy <addresses>',
      'comma-separated addresses or CIDR ranges of proxies whose X-Forwarded-For names the client',
    )
    .option(
      '--login-lockout <failures>',
      "consecutive wrong passwords that lock a user's account for 15 minutes (0: off)",
      wholeNumber,
      ISSUER_DEFAULTS.login.lockout?.maxFailures ?? 5,
    )
    .option(
      '--refresh-lifetime <duration>',
      "absolute lifetime of a user's refresh tokens, kept across rotations, e.g. 30d",
      duration,
    )
    .option(
      '--refresh-grace <seconds>',
      'how long a just-rotated refresh token may be presented again (a retried request)',
      wholeNumber,
      ISSUER_DEFAULTS.refreshTokens.graceSeconds,
    )
    .option(
      '--refresh-idle-public <seconds>',
      "a public client's refresh token ends this long after issue unless used (and so rotated)",
      seconds,
      ISSUER_DEFAULTS.refreshTokens.publicIdleLifetimeSeconds,
    )
    .option(
      '--device-code-lifetime <seconds>',
      'how long a device flow code may be approved (30-3600)',
      seconds,
      ISSUER_DEFAULTS.deviceFlow.codeLifetimeSeconds,
    )
    .option(
      '--device-poll-interval <seconds>',
      'the interval devices are told to poll at (RFC 8628; each slow_down adds 5 s)',
      seconds,
      ISSUER_DEFAULTS.deviceFlow.pollIntervalSeconds,
    )
    .option(
      '--dpop-require-nonce',
      'every DPoP proof at the token endpoint must carry a nonce the issuer gave (RFC 9449 8)',
      false,
    )
    .option('--mfa-admins', 'every administrator must sign in with a second factor', false)
    .option(
      '--mfa-role <role...>',
      'holders of these roles (for any client) must sign in with a second factor',
      collect,
    )
    .option('--no-console', 'do not serve the web console (/console, for users with --admin)')
    .action(
      namingFlags(ISSUER_FLAGS, async (opts) => {
        const rate = (rps: number) => (rps === 0 ? null : { rate: rps, burst: rps * 2 });
        // Off unless the OTEL_* variables ask for it; then loaded before the first request.
        await startTracing('jwtgate-issuer');
        const { runIssuer } = await import('../../issuer/run-issuer.ts');
        const issuer = await runIssuer({
          ...(opts.issuerUrl ? { issuerUrl: opts.issuerUrl } : {}),
          host: opts.host,
          port: opts.port,
          storeFile: opts.store,
          tokenLifetimeSeconds: opts.tokenLifetime,
          alg: opts.alg,
          prePublishSeconds: opts.prePublish,
          retentionMarginSeconds: opts.retentionMargin,
          rotateEverySeconds: opts.rotateEvery ?? null,
          keyPollMs: opts.keyPoll,
          redis: opts.redis ? { url: opts.redis, prefix: opts.redisPrefix } : null,
          rateLimit: { perClient: rate(opts.rateLimitClient), perAddress: rate(opts.rateLimitAddress) },
          lockout:
            opts.lockoutFailures === 0
              ? null
              : { maxFailures: opts.lockoutFailures, windowMs: 5 * 60_000, lockMs: 15 * 60_000 },
          tutorial: opts.tutorial,
          console: opts.console,
          trustedProxies: opts.trustProxy ? String(opts.trustProxy).split(',') : [],
          login: {
            ...ISSUER_DEFAULTS.login,
            lockout:
              opts.loginLockout === 0
                ? null
                : {
                    maxFailures: opts.loginLockout,
                    lockMs: ISSUER_DEFAULTS.login.lockout?.lockMs ?? 900_000,
                  },
          },
          refreshTokens: {
            absoluteLifetimeSeconds:
              opts.refreshLifetime ?? ISSUER_DEFAULTS.refreshTokens.absoluteLifetimeSeconds,
            graceSeconds: opts.refreshGrace,
            publicIdleLifetimeSeconds: opts.refreshIdlePublic,
          },
          deviceFlow: {
            codeLifetimeSeconds: opts.deviceCodeLifetime,
            pollIntervalSeconds: opts.devicePollInterval,
          },
          dpop: { requireNonce: opts.dpopRequireNonce },
          mfa: { admins: opts.mfaAdmins, roles: opts.mfaRole ?? [] },
        });
        stopOnSignals(async () => {
          await issuer.close();
          await stopTracing();
        });
      }),
    );
}
