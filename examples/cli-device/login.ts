// examples/cli-device: a command-line program signs its user in with the device authorization
// grant (RFC 8628) and prints the access token. A public client: it has no secret. openid-client
// v6 does the protocol: discovery, the device authorization request, and polling at the interval
// the issuer gives (longer after a slow_down), until the user has approved in a browser, denied,
// or the code has expired.
//
//   ISSUER_URL=http://127.0.0.1:8080 CLIENT_ID=cli-device node examples/cli-device/login.ts
import * as oauth from 'openid-client';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    process.stderr.write(`${name} is required (see examples/cli-device/README.md)\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  const issuer = new URL(setting('ISSUER_URL'));
  const clientId = setting('CLIENT_ID', 'cli-device');
  const scope = setting('SCOPE', 'openid offline_access');
  const resource = process.env.RESOURCE;
  // Plain http only to an issuer on this machine (development, tests).
  const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
  const execute = insecure ? [oauth.allowInsecureRequests] : [];
  const discovered = await oauth.discovery(issuer, clientId, undefined, oauth.None(), { execute });
  // The ID token is signed with the issuer's current key algorithm: take the first it offers.
  const alg = discovered.serverMetadata().id_token_signing_alg_values_supported?.[0];
  const config = new oauth.Configuration(
    discovered.serverMetadata(),
    clientId,
    alg === undefined ? undefined : { id_token_signed_response_alg: alg },
    oauth.None(),
  );
  for (const run of execute) run(config);

  const device = await oauth.initiateDeviceAuthorization(config, {
    scope,
    ...(resource === undefined ? {} : { resource }),
  });
  // The user's part goes to standard error, so standard output is only the token.
  process.stderr.write(
    `To sign in, open ${device.verification_uri} in a browser and enter the code ${device.user_code}\n` +
      `(or open ${device.verification_uri_complete ?? device.verification_uri}).\n` +
      `Waiting for you to approve (the code expires in ${device.expires_in} s)...\n`,
  );

  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  try {
    const tokens = await oauth.pollDeviceAuthorizationGrant(config, device, undefined, {
      signal: stop.signal,
    });
    process.stderr.write(`Signed in as ${tokens.claims()?.sub ?? 'unknown'}.\n`);
    process.stdout.write(`${process.env.PRINT === 'json' ? JSON.stringify(tokens) : tokens.access_token}\n`);
    return 0;
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      // RFC 8628 3.5: access_denied (the user refused) and expired_token (too late) end the wait.
      const why =
        err.error === 'access_denied'
          ? 'the sign-in was refused in the browser'
          : err.error === 'expired_token'
            ? 'the code expired before it was approved; run again'
            : `${err.error}: ${err.error_description ?? ''}`;
      process.stderr.write(`Not signed in: ${why}\n`);
      return 1;
    }
    if (stop.signal.aborted) {
      process.stderr.write('Cancelled.\n');
      return 130;
    }
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`Not signed in: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
