import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatClient, formatClients, formatSecret } from '../../issuer/admin/format-output.ts';
import {
  APPLICATION_TYPES,
  addClient,
  type ClientChanges,
  DPOP_MODES,
  listClients,
  removeClient,
  rotateClientSecret,
  showClient,
  updateClient,
} from '../../issuer/admin/manage-clients.ts';
import { type FlagNames, namingFlags } from '../name-flags.ts';
import { claimPair, collect } from '../parse-value.ts';
import { runOnStore, type StoreOptions, storeCommand } from '../store-command.ts';

/** The client definition's fields (manage-clients), and the flags of `clients add|update` that set them. */
const CLIENT_FLAGS: FlagNames = {
  id: '<id>',
  name: '--name',
  'auth method': '--auth-method',
  'application type': '--application-type',
  audiences: '--audience',
  scopes: '--scope',
  roles: '--role',
  claims: '--claim',
  jwks: '--jwks-file',
  'grant types': '--grant-type',
  'redirect URIs': '--redirect-uri',
  'web origins': '--web-origin',
  'token exchange audiences': '--exchange-audience',
  'token exchange issuers': '--exchange-issuer',
  'token exchange': '--exchange-audience',
  dpop: '--dpop',
};

/** The options `clients add` and `clients update` share: what a client may do, for which kind of app. */
function addProfileOptions(command: Command, noExchange: string): Command {
  return command
    .option('--name <name>', 'display name')
    .option(
      '--audience <uri...>',
      'resource(s) it may get tokens for (RFC 8707), e.g. https://billing.example',
      collect,
    )
    .option('--scope <scope...>', 'scopes it may request', collect)
    .option('--role <role...>', 'roles put into its tokens', collect)
    .option(
      '--grant-type <type...>',
      'client_credentials (default; authorization_code for --auth-method none), authorization_code, ' +
        'refresh_token, device_code, token_exchange',
      collect,
    )
    .option(
      '--redirect-uri <uri...>',
      'where users return after login: https, or http to loopback (native apps: http://127.0.0.1/path on ' +
        'any port, reverse-domain schemes such as com.example.app:/callback)',
      collect,
    )
    .option(
      '--application-type <type>',
      `${APPLICATION_TYPES.join(' or ')}: native for desktop, mobile and command-line apps (RFC 8252)`,
    )
    .option('--web-origin <origin...>', "a public browser app's origins, answered with CORS", collect)
    .option(
      '--exchange-audience <uri...>',
      "token exchange: the audiences it may exchange a user's token for (with --grant-type token_exchange)",
      collect,
    )
    .option(
      '--exchange-issuer <url...>',
      'token exchange: issuers whose access tokens it may present (default: this issuer)',
      collect,
    )
    .option('--no-exchange', noExchange)
    .option(
      '--dpop <mode>',
      `DPoP (RFC 9449): ${DPOP_MODES.join(' or ')}; required refuses a token request without a proof (default allowed)`,
    );
}

/** The shared options as manage-clients takes them: only those given. */
function profileOf(opts: Record<string, unknown>): ClientChanges {
  const audiences = opts.exchangeAudience as string[] | undefined;
  const issuers = opts.exchangeIssuer as string[] | undefined;
  return {
    ...(opts.name ? { name: opts.name as string } : {}),
    ...(opts.audience ? { audiences: opts.audience as string[] } : {}),
    ...(opts.scope ? { scopes: opts.scope as string[] } : {}),
    ...(opts.role ? { roles: opts.role as string[] } : {}),
    ...(opts.grantType ? { grantTypes: opts.grantType as string[] } : {}),
    ...(opts.redirectUri ? { redirectUris: opts.redirectUri as string[] } : {}),
    ...(opts.applicationType
      ? { applicationType: opts.applicationType as ClientChanges['applicationType'] }
      : {}),
    ...(opts.webOrigin ? { webOrigins: opts.webOrigin as string[] } : {}),
    ...(opts.dpop ? { dpop: opts.dpop as ClientChanges['dpop'] } : {}),
    ...(opts.exchange === false
      ? { tokenExchange: null }
      : audiences || issuers
        ? { tokenExchange: { audiences: audiences ?? [], issuers: issuers ?? [] } }
        : {}),
  };
}

/** Registers `jwtgate clients add|update|list|show|rotate-secret|remove`. */
export function registerClientsCommands(program: Command): void {
  const clients = program.command('clients').description('manage the OAuth clients of the issuer');

  addProfileOptions(
    storeCommand(clients, 'add <id>', 'register a client; prints its secret once (public clients have none)')
      .option(
        '--auth-method <method>',
        'client_secret_basic, client_secret_post, private_key_jwt, or none (a public browser or native app)',
        'client_secret_basic',
      )
      .option('--claim <name=value...>', 'custom claim put into its tokens (value: JSON or text)', claimPair)
      .option('--jwks-file <file>', 'its public keys (JWKS), for private_key_jwt'),
    'no token exchange (the default)',
  ).action(
    namingFlags(CLIENT_FLAGS, async (id: string, opts) => {
      const jwks = opts.jwksFile ? JSON.parse(readFileSync(opts.jwksFile, 'utf8')) : undefined;
      await runOnStore(
        opts,
        (store) =>
          addClient(
            store,
            {
              audiences: [],
              scopes: [],
              roles: [],
              ...profileOf(opts),
              id,
              authMethod: opts.authMethod,
              claims: opts.claim ?? {},
              ...(jwks ? { jwks } : {}),
            },
            'cli',
          ).then((r) => ({ client: r.client, client_secret: r.secret ?? undefined })),
        (r) =>
          r.client_secret
            ? formatSecret(id, r.client_secret, true)
            : `client ${id} created (${r.client.auth_method === 'none' ? 'public: no secret' : 'private_key_jwt'})\n`,
      );
    }),
  );

  addProfileOptions(
    storeCommand(
      clients,
      'update <id>',
      'change what a client may do; options not given stay as they are (a list given replaces the old one)',
    ),
    'remove its token exchange policy',
  ).action(
    namingFlags(CLIENT_FLAGS, async (id: string, opts) => {
      await runOnStore(opts, (store) => updateClient(store, id, profileOf(opts), 'cli'), formatClient);
    }),
  );

  storeCommand(clients, 'list', 'list clients').action(async (opts: StoreOptions) => {
    await runOnStore(opts, (store) => listClients(store), formatClients);
  });

  storeCommand(clients, 'show <id>', 'show one client (never its secret)').action(
    async (id: string, opts: StoreOptions) => {
      await runOnStore(opts, (store) => showClient(store, id), formatClient);
    },
  );

  storeCommand(
    clients,
    'rotate-secret <id>',
    'replace the secret of a client; prints the new one once',
  ).action(async (id: string, opts: StoreOptions) => {
    await runOnStore(
      opts,
      (store) =>
        rotateClientSecret(store, id, 'cli').then((r) => ({ client: r.client, client_secret: r.secret })),
      (r) => formatSecret(id, r.client_secret, false),
    );
  });

  storeCommand(
    clients,
    'remove <id>',
    'remove a client: its tokens are refused at introspection at once; gateways accept them until they expire (tokens revoke denies one sooner)',
  ).action(async (id: string, opts: StoreOptions) => {
    await runOnStore(
      opts,
      (store) => removeClient(store, id, 'cli').then(() => ({ removed: id })),
      () => `client ${id} removed\n`,
    );
  });
}
