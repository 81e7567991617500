import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatClient, formatClients, formatSecret } from '../../issuer/admin/format-output.ts';
import {
  addClient,
  listClients,
  removeClient,
  rotateClientSecret,
  showClient,
} from '../../issuer/admin/manage-clients.ts';
import { type FlagNames, namingFlags } from '../name-flags.ts';
import { claimPair, collect } from '../parse-value.ts';
import { runOnStore, type StoreOptions, storeCommand } from '../store-command.ts';

/** The client definition's fields (manage-clients), and the flags of `clients add` that set them. */
const CLIENT_FLAGS: FlagNames = {
  id: '<id>',
  name: '--name',
  'auth method': '--auth-method',
  audiences: '--audience',
  scopes: '--scope',
  roles: '--role',
  claims: '--claim',
  jwks: '--jwks-file',
  'grant types': '--grant-type',
  'redirect URIs': '--redirect-uri',
};

/** Registers `jwtgate clients add|list|show|rotate-secret|remove`. */
export function registerClientsCommands(program: Command): void {
  const clients = program.command('clients').description('manage the OAuth clients of the issuer');

  storeCommand(clients, 'add <id>', 'register a client; prints its secret once')
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
    .action(
      namingFlags(CLIENT_FLAGS, async (id: string, opts) => {
        const jwks = opts.jwksFile ? JSON.parse(readFileSync(opts.jwksFile, 'utf8')) : undefined;
        await runOnStore(
          opts,
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
