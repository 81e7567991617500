#!/usr/bin/env -S node --conditions=jwtgate-source
import { readFileSync } from 'node:fs';
import { JwtGateError } from '@jwtgate/verify';
import { Command, InvalidArgumentError } from 'commander';
import { registerCheckCommand } from './cli/check.ts';
import { claimPair, collect, duration } from './cli/cli-options.ts';
import { registerKeyCommands } from './cli/keys.ts';
import { registerTokenCommands } from './cli/token.ts';
import {
  formatClient,
  formatClients,
  formatKeys,
  formatRevocation,
  formatSecret,
  formatUser,
  formatUserPassword,
  formatUsers,
} from './issuer/admin/format-output.ts';
import {
  addClient,
  listClients,
  removeClient,
  rotateClientSecret,
  showClient,
} from './issuer/admin/manage-clients.ts';
import { listKeys, startRotation } from './issuer/admin/manage-keys.ts';
import {
  addUser,
  listUsers,
  parseRoleAssignments,
  removeUser,
  resetUserPassword,
  setUserDisabled,
  setUserRoles,
  showUser,
} from './issuer/admin/manage-users.ts';
import { ISSUER_DEFAULTS } from './issuer/issuer-options.ts';
import { openStore } from './issuer/open-store.ts';
import { revokeJti } from './issuer/revocation/revoke-jti.ts';
import { CodedError, EXIT } from './lib/coded-error.ts';
import { loadKeyEncryptionKey } from './store/key-encryption.ts';
import type { Store } from './store/types.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of seconds >= 1');
  return n;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

/** Runs an administration command against the store file, printing JSON or text. */
async function withStore<T>(
  file: string,
  json: boolean,
  work: (store: Store) => Promise<T>,
  text: (result: T) => string,
): Promise<void> {
  const store = await openStore(file);
  try {
    const result = await work(store);
    process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : text(result));
  } finally {
    await store.close();
  }
}

const program = new Command()
  .name('jwtgate')
  .description('Secure microservices with JSON Web Tokens')
  .version(version)
  .showHelpAfterError()
  // Set before any subcommand exists, so every subcommand inherits it: help and --version exit 0,
  // every usage error (unknown option, missing argument, bad value) exits 2.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('demo')
  .description(
    'run the walkthrough: the issuer (tutorial token and OAuth), the gateway and example services, on embedded defaults',
  )
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--issuer-port <port>', 'issuer port (tutorial token at GET /, OAuth endpoints)', port, 8080)
  .option('--gateway-port <port>', 'gateway port (the protected services)', port, 9001)
  .option('--token-lifetime <seconds>', "lifetime of the tutorial's tokens (GET /)", seconds, 60)
  .option(
    '--data-dir <dir>',
    'where generated secrets, keys, the store and the config are kept',
    '.data/demo',
  )
  .action(async (opts) => {
    // Each server is loaded only by its command: an administration command starts fast and alone.
    const { runDemo } = await import('./demo/run-demo.ts');
    const demo = await runDemo(opts);
    const stop = () => {
      demo.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('gateway')
  .description('run the gateway: verify tokens, apply route rules, proxy to upstream services')
  .option('-c, --config <file>', 'configuration file', 'jwtgate.yaml')
  .option(
    '-w, --workers <n>',
    'processes sharing the port (node:cluster)',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
      return n;
    },
    1,
  )
  .option('--watch', 'reload when the configuration file changes (SIGHUP always reloads)', false)
  .action(async (opts) => {
    const { runGateway } = await import('./gateway/run-gateway.ts');
    await runGateway({ config: opts.config, workers: opts.workers, watch: opts.watch });
  });

program
  .command('issuer')
  .description('run the OAuth 2.0 token service for services (client credentials, JWT access tokens)')
  .option(
    '--issuer-url <url>',
    'issuer identifier and base URL of every endpoint (default http://<host>:<port>)',
  )
  .option('--host <host>', 'address to listen on', ISSUER_DEFAULTS.host)
  .option('--port <port>', 'port to listen on', port, ISSUER_DEFAULTS.port)
  .option('--store <file|url>', 'SQLite store file, or a postgres:// URL', ISSUER_DEFAULTS.storeFile)
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
  .option(
    '--redis <url>',
    "relay revocations to the gateways' Redis (redis:// or rediss://), for replicas sharing one",
  )
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
  .option('--no-console', 'do not serve the web console (/console, for users with --admin)')
  .action(async (opts) => {
    const rate = (rps: number) => (rps === 0 ? null : { rate: rps, burst: rps * 2 });
    const { runIssuer } = await import('./issuer/run-issuer.ts');
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
            : { maxFailures: opts.loginLockout, lockMs: ISSUER_DEFAULTS.login.lockout?.lockMs ?? 900_000 },
      },
      refreshTokens: {
        absoluteLifetimeSeconds:
          opts.refreshLifetime ?? ISSUER_DEFAULTS.refreshTokens.absoluteLifetimeSeconds,
        graceSeconds: opts.refreshGrace,
      },
    });
    const stop = () => {
      issuer.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

const storeOption = [
  '--store <file|url>',
  'the issuer store: SQLite file or postgres:// URL',
  ISSUER_DEFAULTS.storeFile,
] as const;
const jsonOption = ['--json', 'print JSON', false] as const;

const clients = program.command('clients').description('manage the OAuth clients of the issuer');
clients
  .command('add <id>')
  .description('register a client; prints its secret once')
  .option('--name <name>', 'display name')
  .option(
    '--auth-method <method>',
    'client_secret_basic, client_secret_post or private_key_jwt',
    'client_secret_basic',
  )
  .option(
    '--audience <uri...>',
    'resource(s) it may get tokens for (RFC 8707), e.g. https://billing.example',
    collect,
  )
  .option('--scope <scope...>', 'scopes it may request', collect)
  .option('--role <role...>', 'roles put into its tokens', collect)
  .option('--claim <name=value...>', 'custom claim put into its tokens (value: JSON or text)', claimPair)
  .option('--jwks-file <file>', 'its public keys (JWKS), for private_key_jwt')
  .option(
    '--grant-type <type...>',
    'client_credentials (default), authorization_code, refresh_token (users log in: with --redirect-uri)',
    collect,
  )
  .option('--redirect-uri <uri...>', 'where users return after login (https, or http to loopback)', collect)
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (id: string, opts) => {
    const jwks = opts.jwksFile ? JSON.parse(readFileSync(opts.jwksFile, 'utf8')) : undefined;
    await withStore(
      opts.store,
      opts.json,
      (store) =>
        addClient(
          store,
          {
            id,
            ...(opts.name ? { name: opts.name } : {}),
            authMethod: opts.authMethod,
            audiences: opts.audience ?? [],
            scopes: opts.scope ?? [],
            roles: opts.role ?? [],
            claims: opts.claim ?? {},
            ...(jwks ? { jwks } : {}),
            ...(opts.grantType ? { grantTypes: opts.grantType } : {}),
            ...(opts.redirectUri ? { redirectUris: opts.redirectUri } : {}),
          },
          'cli',
        ).then((r) => ({ client: r.client, client_secret: r.secret ?? undefined })),
      (r) =>
        r.client_secret
          ? formatSecret(id, r.client_secret, true)
          : `client ${id} created (private_key_jwt)\n`,
    );
  });
clients
  .command('list')
  .description('list clients')
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (opts) => {
    await withStore(opts.store, opts.json, (store) => listClients(store), formatClients);
  });
clients
  .command('show <id>')
  .description('show one client (never its secret)')
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (id: string, opts) => {
    await withStore(opts.store, opts.json, (store) => showClient(store, id), formatClient);
  });
clients
  .command('rotate-secret <id>')
  .description('replace the secret of a client; prints the new one once')
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (id: string, opts) => {
    await withStore(
      opts.store,
      opts.json,
      (store) =>
        rotateClientSecret(store, id, 'cli').then((r) => ({ client: r.client, client_secret: r.secret })),
      (r) => formatSecret(id, r.client_secret, false),
    );
  });
clients
  .command('remove <id>')
  .description('remove a client (its tokens are refused at introspection at once, and expire by themselves)')
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (id: string, opts) => {
    await withStore(
      opts.store,
      opts.json,
      (store) => removeClient(store, id, 'cli').then(() => ({ removed: id })),
      () => `client ${id} removed\n`,
    );
  });

const keys = program.command('keys').description('generate key pairs; manage the signing keys of the issuer');
keys
  .command('list')
  .description('list signing keys (never private parts)')
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (opts) => {
    await withStore(opts.store, opts.json, (store) => listKeys(store), formatKeys);
  });
keys
  .command('rotate')
  .description('publish a new signing key now; running issuers sign with it after the pre-publication time')
  .option('--alg <alg>', 'algorithm of the new key (default: that of the current key)')
  .option(
    '--pre-publish <seconds>',
    'publication before it signs',
    wholeNumber,
    ISSUER_DEFAULTS.prePublishSeconds,
  )
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (opts) => {
    const kek = loadKeyEncryptionKey(process.env);
    await withStore(
      opts.store,
      opts.json,
      (store) =>
        startRotation(store, {
          ...(opts.alg ? { alg: opts.alg } : {}),
          prePublishSeconds: opts.prePublish,
          kek,
          actor: 'cli',
          now: Date.now(),
        }),
      (k) => `new key ${k.kid} (${k.alg}) published; it signs from ${k.activates_at}\n`,
    );
  });

const tokens = program.command('tokens').description('act on issued access tokens');
tokens
  .command('revoke <jti>')
  .description('put a token id on the revocation list (and the feed gateways follow)')
  .option('--exp <seconds>', "the token's exp (NumericDate); default: now + 24 h", wholeNumber)
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (jti: string, opts) => {
    const exp = opts.exp ?? Math.ceil(Date.now() / 1000) + 86_400;
    await withStore(
      opts.store,
      opts.json,
      (store) => revokeJti(store, { jti, exp, actor: 'cli' }),
      formatRevocation,
    );
  });

/** A password from standard input (a pipe or a file), without the one line break that ends it. */
function readPasswordStdin(): string {
  return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
}

const users = program.command('users').description('manage the users who log in to the issuer');
users
  .command('add <username>')
  .description('create a user; without --password-stdin a strong password is generated and printed once')
  .option('--email <address>', 'email address')
  .option('--name <name>', 'display name')
  .option(
    '--roles <client=roles...>',
    'roles per client, e.g. webapp=billing,reader (client * = every client); repeatable',
    (value: string, previous: string[] = []) => [...previous, value],
  )
  .option('--admin', 'may use the web console', false)
  .option('--password-stdin', 'read the password from standard input instead of generating one', false)
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (username: string, opts) => {
    const password = opts.passwordStdin ? readPasswordStdin() : undefined;
    await withStore(
      opts.store,
      opts.json,
      (store) =>
        addUser(
          store,
          {
            username,
            ...(opts.email ? { email: opts.email } : {}),
            ...(opts.name ? { name: opts.name } : {}),
            roles: parseRoleAssignments(opts.roles ?? []),
            admin: opts.admin,
            ...(password === undefined ? {} : { password }),
          },
          'cli',
        ).then((r) => ({ user: r.user, password: r.password ?? undefined })),
      (r) => formatUserPassword(r.user.username, r.password ?? null, true),
    );
  });
users
  .command('list')
  .description('list users (never a password or its hash)')
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (opts) => {
    await withStore(opts.store, opts.json, (store) => listUsers(store), formatUsers);
  });
users
  .command('show <username>')
  .description('show one user (never the password or its hash)')
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (username: string, opts) => {
    await withStore(opts.store, opts.json, (store) => showUser(store, username), formatUser);
  });
users
  .command('set-roles <username> <client=roles...>')
  .description("set a user's roles for the clients named (client= removes them; other clients keep theirs)")
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (username: string, assignments: string[], opts) => {
    await withStore(
      opts.store,
      opts.json,
      (store) => setUserRoles(store, username, parseRoleAssignments(assignments), 'cli'),
      formatUser,
    );
  });
for (const [command, disabled] of [
  ['disable', true],
  ['enable', false],
] as const) {
  users
    .command(`${command} <username>`)
    .description(
      disabled ? 'stop a user from logging in' : 'let a disabled user log in again (also ends a lock-out)',
    )
    .option(...storeOption)
    .option(...jsonOption)
    .action(async (username: string, opts) => {
      await withStore(
        opts.store,
        opts.json,
        (store) => setUserDisabled(store, username, disabled, 'cli'),
        (u) => `user ${u.username} ${command}d\n`,
      );
    });
}
users
  .command('reset-password <username>')
  .description(
    'replace the password (and end a lock-out); without --password-stdin one is generated and printed once',
  )
  .option('--password-stdin', 'read the password from standard input instead of generating one', false)
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (username: string, opts) => {
    const password = opts.passwordStdin ? readPasswordStdin() : undefined;
    await withStore(
      opts.store,
      opts.json,
      (store) =>
        resetUserPassword(store, username, password, 'cli').then((r) => ({
          user: r.user,
          password: r.password ?? undefined,
        })),
      (r) => formatUserPassword(r.user.username, r.password ?? null, false),
    );
  });
users
  .command('remove <username>')
  .description('remove a user (tokens already issued to them expire by themselves)')
  .option(...storeOption)
  .option(...jsonOption)
  .action(async (username: string, opts) => {
    await withStore(
      opts.store,
      opts.json,
      (store) => removeUser(store, username, 'cli').then((u) => ({ removed: u.username, id: u.id })),
      (r) => `user ${r.removed} removed\n`,
    );
  });

registerKeyCommands(keys);
registerCheckCommand(program);
registerTokenCommands(program);

program.parseAsync().catch((err: unknown) => {
  const message = err instanceof JwtGateError ? (err.detail ?? err.message) : (err as Error).message;
  process.stderr.write(`jwtgate: ${message}\n`);
  if (err instanceof CodedError) process.exit(err.exitCode);
  // The verify core sits below CodedError: its option errors are configuration errors too.
  process.exit(err instanceof JwtGateError && err.code === 'ERR_OPTIONS_INVALID' ? EXIT.config : EXIT.failed);
});
