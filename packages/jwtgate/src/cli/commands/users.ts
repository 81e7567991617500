import type { Command } from 'commander';
import { formatUser, formatUserPassword, formatUsers } from '../../issuer/admin/format-output.ts';
import {
  addUser,
  listUsers,
  parseRoleAssignments,
  removeUser,
  resetUserFactors,
  resetUserPassword,
  setUserDisabled,
  setUserMfaRequired,
  setUserRoles,
  showUser,
} from '../../issuer/admin/manage-users.ts';
import { type FlagNames, namingFlags } from '../name-flags.ts';
import { repeat } from '../parse-value.ts';
import { readPasswordStdin } from '../read-input.ts';
import { runOnStore, type StoreOptions, storeCommand } from '../store-command.ts';

/** The user definition's fields (manage-users), and the flags of `users add` that set them. */
const USER_FLAGS: FlagNames = {
  username: '<username>',
  email: '--email',
  name: '--name',
  roles: '--roles',
  password: 'the password (--password-stdin)',
};
const SET_ROLES_FLAGS: FlagNames = { username: '<username>', roles: '<client=roles...>' };

/** Registers `jwtgate users add|list|show|set-roles|disable|enable|reset-password|remove`. */
export function registerUsersCommands(program: Command): void {
  const users = program.command('users').description('manage the users who log in to the issuer');

  storeCommand(
    users,
    'add <username>',
    'create a user; without --password-stdin a strong password is generated and printed once',
  )
    .option('--email <address>', 'email address')
    .option('--name <name>', 'display name')
    .option(
      '--roles <client=roles...>',
      'roles per client, e.g. webapp=billing,reader (client * = every client); repeatable',
      repeat,
    )
    .option('--admin', 'may use the web console', false)
    .option('--mfa-required', 'must sign in with a second factor (sets one up at the first sign-in)', false)
    .option('--password-stdin', 'read the password from standard input instead of generating one', false)
    .action(
      namingFlags(USER_FLAGS, async (username: string, opts) => {
        const password = opts.passwordStdin ? readPasswordStdin() : undefined;
        await runOnStore(
          opts,
          (store) =>
            addUser(
              store,
              {
                username,
                ...(opts.email ? { email: opts.email } : {}),
                ...(opts.name ? { name: opts.name } : {}),
                roles: parseRoleAssignments(opts.roles ?? []),
                admin: opts.admin,
                mfaRequired: opts.mfaRequired,
                ...(password === undefined ? {} : { password }),
              },
              'cli',
            ).then((r) => ({ user: r.user, password: r.password ?? undefined })),
          (r) => formatUserPassword(r.user.username, r.password ?? null, true),
        );
      }),
    );

  storeCommand(users, 'list', 'list users (never a password or its hash)').action(
    async (opts: StoreOptions) => {
      await runOnStore(opts, (store) => listUsers(store), formatUsers);
    },
  );

  storeCommand(
    users,
    'require-mfa <username>',
    'require a second factor of a user at every sign-in (--off: no longer)',
  )
    .option('--off', 'stop requiring it of this user (the issuer policy may still require it)', false)
    .action(async (username: string, opts) => {
      await runOnStore(opts, (store) => setUserMfaRequired(store, username, !opts.off, 'cli'), formatUser);
    });

  storeCommand(
    users,
    'reset-mfa <username>',
    "remove a user's second factors (authenticator app, recovery codes, passkeys), e.g. after a lost phone",
  ).action(async (username: string, opts: StoreOptions) => {
    await runOnStore(
      opts,
      (store) => resetUserFactors(store, username, 'cli').then((factors) => ({ username, factors })),
      () => `second factors of ${username} removed\n`,
    );
  });

  storeCommand(
    users,
    'show <username>',
    'show one user and their second factors (never a password, hash or secret)',
  ).action(async (username: string, opts: StoreOptions) => {
    await runOnStore(opts, (store) => showUser(store, username), formatUser);
  });

  storeCommand(
    users,
    'set-roles <username> <client=roles...>',
    "set a user's roles for the clients named (client= removes them; other clients keep theirs)",
  ).action(
    namingFlags(SET_ROLES_FLAGS, async (username: string, assignments: string[], opts: StoreOptions) => {
      await runOnStore(
        opts,
        (store) => setUserRoles(store, username, parseRoleAssignments(assignments), 'cli'),
        formatUser,
      );
    }),
  );

  for (const [command, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    storeCommand(
      users,
      `${command} <username>`,
      disabled
        ? 'stop a user from logging in, and end the grants they hold (refresh tokens stop working, access tokens are revoked)'
        : 'let a disabled user log in again (also ends a lock-out)',
    ).action(async (username: string, opts: StoreOptions) => {
      await runOnStore(
        opts,
        (store) => setUserDisabled(store, username, disabled, 'cli'),
        (u) => `user ${u.username} ${command}d\n`,
      );
    });
  }

  storeCommand(
    users,
    'reset-password <username>',
    'replace the password, end a lock-out and the grants the user holds (access tokens revoked); without --password-stdin one is generated and printed once',
  )
    .option('--password-stdin', 'read the password from standard input instead of generating one', false)
    .action(async (username: string, opts) => {
      const password = opts.passwordStdin ? readPasswordStdin() : undefined;
      await runOnStore(
        opts,
        (store) =>
          resetUserPassword(store, username, password, 'cli').then((r) => ({
            user: r.user,
            password: r.password ?? undefined,
          })),
        (r) => formatUserPassword(r.user.username, r.password ?? null, false),
      );
    });

  storeCommand(
    users,
    'remove <username>',
    'remove a user and end the grants they hold (refresh tokens stop working, access tokens are revoked)',
  ).action(async (username: string, opts: StoreOptions) => {
    await runOnStore(
      opts,
      (store) => removeUser(store, username, 'cli').then((u) => ({ removed: u.username, id: u.id })),
      (r) => `user ${r.removed} removed\n`,
    );
  });
}
