import type { Command } from 'commander';
import { CodedError, EXIT } from '../../lib/coded-error.ts';
import { UsageError } from '../usage-error.ts';

/** The sign-in did not happen: refused, expired, or the issuer answered an error. */
export class LoginFailedError extends CodedError {
  readonly code = 'ERR_LOGIN_FAILED';

  constructor(message: string, cause?: unknown) {
    super(message, { status: 400, exitCode: EXIT.failed, cause });
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * `jwtgate login --issuer URL --client ID`: signs the user in with the device authorization grant
 * (RFC 8628) as a public client and prints the access token. openid-client does the protocol
 * (discovery, the device authorization request, polling at the issuer's interval and after
 * slow_down); what the user must do goes to standard error, the token alone to standard output.
 */
export function registerLoginCommand(program: Command): void {
  program
    .command('login')
    .description('sign in with the device flow (open a URL, enter a code) and print the access token')
    .requiredOption('--issuer <url>', 'the issuer (https, or http to this machine)')
    .requiredOption('--client <id>', 'a public client with the device_code grant')
    .option('--scope <scope>', 'scopes to ask for', 'openid offline_access')
    .option('--resource <uri>', 'the API to get the token for (RFC 8707), when the client has several')
    .option('--json', 'print the whole token response as JSON', false)
    .action(async (opts) => {
      const issuer = URL.parse(opts.issuer);
      if (issuer === null || (issuer.protocol !== 'https:' && issuer.protocol !== 'http:'))
        throw new UsageError(`--issuer: expected an https URL, got ${opts.issuer}`);
      const insecure = issuer.protocol === 'http:';
      if (insecure && !LOOPBACK.has(issuer.hostname))
        throw new UsageError('--issuer: plain http only to this machine (127.0.0.1, localhost, [::1])');
      // Loaded here: the other commands need none of it.
      const oauth = await import('openid-client');
      const execute = insecure ? [oauth.allowInsecureRequests] : [];
      try {
        const found = await oauth.discovery(issuer, opts.client, undefined, oauth.None(), { execute });
        // The ID token is signed with the issuer's current algorithm.
        const alg = found.serverMetadata().id_token_signing_alg_values_supported?.[0];
        const config = new oauth.Configuration(
          found.serverMetadata(),
          opts.client,
          alg === undefined ? undefined : { id_token_signed_response_alg: alg },
          oauth.None(),
        );
        for (const run of execute) run(config);
        const device = await oauth.initiateDeviceAuthorization(config, {
          scope: opts.scope,
          ...(opts.resource ? { resource: opts.resource } : {}),
        });
        process.stderr.write(
          `To sign in, open ${device.verification_uri} in a browser and enter the code ${device.user_code}\n` +
            `(or open ${device.verification_uri_complete ?? device.verification_uri}).\n`,
        );
        const stop = new AbortController();
        const onInterrupt = () => stop.abort();
        process.once('SIGINT', onInterrupt);
        const tokens = await oauth
          .pollDeviceAuthorizationGrant(config, device, undefined, { signal: stop.signal })
          .finally(() => process.off('SIGINT', onInterrupt));
        process.stderr.write(`Signed in as ${tokens.claims()?.sub ?? 'unknown'}.\n`);
        process.stdout.write(`${opts.json ? JSON.stringify(tokens, null, 2) : tokens.access_token}\n`);
      } catch (err) {
        if (err instanceof CodedError) throw err;
        if (err instanceof oauth.ResponseBodyError) {
          const why =
            err.error === 'access_denied'
              ? 'the sign-in was refused in the browser'
              : err.error === 'expired_token'
                ? 'the code expired before it was approved; run again'
                : `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`;
          throw new LoginFailedError(`not signed in: ${why}`, err);
        }
        throw new LoginFailedError(`not signed in: ${(err as Error).message}`, err);
      }
    });
}
