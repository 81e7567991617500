import { createRecord } from '../../lib/own-record.ts';
import type { UserRecord } from '../../store/types.ts';
import {
  addUser,
  listUsers,
  parseRoleAssignments,
  removeUser,
  resetUserPassword,
  setUserDisabled,
  setUserMfaRequired,
  setUserRoles,
  toUserView,
  type UserRoles,
  type UserView,
} from '../admin/manage-users.ts';
import { IssuerError } from '../errors.ts';
import { recoveryCodesBody, totpSetupBody } from '../login/sign-in-pages.ts';
import {
  beginTotpSetup,
  confirmTotpSetup,
  describeFactors,
  type FactorsView,
  hasSecondFactor,
  pendingTotpSetup,
  regenerateRecoveryCodes,
  removePasskey,
  removeTotp,
} from '../mfa/manage-factors.ts';
import { isMfaRequired } from '../mfa/mfa-policy.ts';
import { renderQrSvg } from '../mfa/qr-code.ts';
import {
  type ConsoleAnswer,
  type ConsoleRequest,
  type ConsoleSection,
  methodNotAllowed,
  NOT_FOUND,
  noticeOf,
  page,
  redirect,
} from './console-context.ts';
import { esc, renderPostForm, renderTable, splitLines, textArea, textField } from './console-page.ts';

const BASE = '/console/users';
/** User ids start with usr_, so this path is never a user's. */
const NEW = '_new';
const USER_ID = /^usr_[A-Za-z0-9_-]{1,64}$/;

const href = (id: string) => `${BASE}/${encodeURIComponent(id)}`;

/** Roles as the textarea shows them: one `client=role1,role2` line per client. */
function rolesText(roles: UserRoles): string {
  return Object.entries(roles)
    .map(([client, list]) => `${client}=${list.join(',')}`)
    .join('\n');
}

function rolesCell(roles: UserRoles): string {
  return Object.entries(roles)
    .map(([client, list]) => `<code>${esc(client)}</code>: ${esc(list.join(', '))}`)
    .join('<br>');
}

const ROLES_HINT = 'One line per client: client=role1,role2 (the client * gives roles for every client).';

interface UserFormValues {
  readonly username: string;
  readonly email: string;
  readonly name: string;
  readonly roles: string;
  readonly admin: boolean;
  readonly mfaRequired: boolean;
}

function createForm(r: ConsoleRequest, v: UserFormValues): string {
  return renderPostForm(
    BASE,
    r.csrf,
    [
      textField('username', 'Username', {
        value: v.username,
        required: true,
        hint: '1-64 characters, no spaces.',
      }),
      textField('email', 'Email', { value: v.email, type: 'text' }),
      textField('name', 'Name', { value: v.name }),
      textArea('roles', 'Roles', { value: v.roles, hint: ROLES_HINT, rows: 3 }),
      `<p><input type="checkbox" id="admin" name="admin" value="yes"${v.admin ? ' checked' : ''}> <label for="admin" class="inline">Administrator (may use this console)</label></p>`,
      `<p><input type="checkbox" id="mfa_required" name="mfa_required" value="yes"${v.mfaRequired ? ' checked' : ''}> <label for="mfa_required" class="inline">Require a second factor (set up at the first sign-in)</label></p>`,
      textField('password', 'Password', {
        type: 'password',
        autocomplete: 'new-password',
        hint: 'Leave empty to generate a strong one, shown once.',
      }),
      '<button type="submit">Create user</button> <a class="button secondary" href="/console/users">Cancel</a>',
    ].join('\n'),
  );
}

function passwordBox(username: string, password: string): string {
  return `<div class="secret" role="status">
<p><strong>Password of ${esc(username)}: shown once.</strong> Give it to the user over a safe channel; it cannot be shown again.</p>
<p><label for="generated-password">Generated password</label><input id="generated-password" type="text" readonly value="${esc(password)}" autocomplete="off" spellcheck="false"></p>
</div>`;
}

async function listPage(r: ConsoleRequest): Promise<ConsoleAnswer> {
  const users = await listUsers(r.deps.store);
  const rows = users.map((u) => [
    `<a href="${href(u.id)}">${esc(u.username)}</a>`,
    esc(u.name ?? ''),
    esc(u.email ?? ''),
    rolesCell(u.roles),
    u.admin ? 'yes' : 'no',
    u.disabled ? 'disabled' : u.locked_until !== null ? `locked until ${esc(u.locked_until)}` : 'active',
  ]);
  return page({
    title: 'Users',
    section: 'users',
    ...noticeOf(r.url),
    body: `<p><a class="button" href="${BASE}/${NEW}">New user</a></p>\n${renderTable(
      'Users',
      ['Username', 'Name', 'Email', 'Roles', 'Admin', 'Status'],
      rows,
    )}`,
  });
}

async function create(r: ConsoleRequest): Promise<ConsoleAnswer> {
  const f = r.form;
  const v: UserFormValues = {
    username: (f.get('username') ?? '').trim(),
    email: (f.get('email') ?? '').trim(),
    name: (f.get('name') ?? '').trim(),
    roles: f.get('roles') ?? '',
    admin: f.get('admin') === 'yes',
    mfaRequired: f.get('mfa_required') === 'yes',
  };
  const password = f.get('password') ?? '';
  try {
    const created = await addUser(
      r.deps.store,
      {
        username: v.username,
        email: v.email === '' ? null : v.email,
        name: v.name === '' ? null : v.name,
        roles: parseRoleAssignments(splitLines(v.roles)),
        admin: v.admin,
        mfaRequired: v.mfaRequired,
        ...(password === '' ? {} : { password }),
      },
      r.actor,
    );
    const u = created.user;
    return page(
      {
        title: `User ${u.username} created`,
        section: 'users',
        body: `${created.password === null ? '<p>The password you gave is set.</p>' : passwordBox(u.username, created.password)}\n<p><a href="${href(u.id)}">Show the user</a> · <a href="${BASE}">All users</a></p>`,
      },
      201,
    );
  } catch (err) {
    if (!(err instanceof IssuerError)) throw err;
    return page(
      { title: 'New user', section: 'users', error: err.message, body: createForm(r, v) },
      err.status,
    );
  }
}

/** The user's second factors, and the forms that change them. */
function factorsSection(r: ConsoleRequest, u: UserView, f: FactorsView, policyRequires: boolean): string {
  const base = href(u.id);
  const required = renderPostForm(
    `${base}/mfa-required`,
    r.csrf,
    `<p><input type="checkbox" id="mfa_required" name="mfa_required" value="yes"${u.mfa_required ? ' checked' : ''}> <label for="mfa_required" class="inline">Require a second factor at every sign-in</label></p>
<p class="hint">${policyRequires && !u.mfa_required ? 'The issuer policy requires one of this user already (administrators or a role).' : 'A user who must and has none sets up an authenticator app at the next sign-in.'}</p>
<button type="submit" class="secondary">Save</button>`,
  );
  const totp =
    f.totp === 'active'
      ? renderPostForm(
          `${base}/totp-remove`,
          r.csrf,
          '<p>Authenticator app: <strong id="totp-state">active</strong>.</p><button type="submit" class="secondary">Remove the authenticator app</button>',
        )
      : renderPostForm(
          `${base}/totp-setup`,
          r.csrf,
          `<p>Authenticator app: <strong id="totp-state">${f.totp === 'pending' ? 'set-up not confirmed' : 'none'}</strong>. Set one up with the user present: they scan the code with their phone and read you the first code.</p><button type="submit">Set up an authenticator app</button>`,
        );
  const passkeys = renderTable(
    `Passkeys of ${u.username}`,
    ['Name', 'Added', 'Last used', 'Synced', ''],
    f.passkeys.map((p) => [
      esc(p.name),
      esc(p.created_at),
      esc(p.last_used_at ?? 'never'),
      p.backed_up ? 'yes' : 'no',
      renderPostForm(
        `${base}/passkey-remove`,
        r.csrf,
        `<input type="hidden" name="passkey" value="${esc(p.id)}"><button type="submit" class="secondary" aria-label="Remove passkey ${esc(p.name)}">Remove</button>`,
        ' class="inline"',
      ),
    ]),
  );
  const codes = hasSecondFactor(f)
    ? renderPostForm(
        `${base}/recovery-codes`,
        r.csrf,
        `<p>Recovery codes: <span id="recovery-left">${f.recovery_codes_left}</span> unused.</p><button type="submit" class="secondary">Make new recovery codes</button>`,
      )
    : `<p>Recovery codes: ${f.recovery_codes_left} unused.</p>`;
  return `${required}
${totp}
<h3>Passkeys</h3>
<p class="hint">Users add passkeys on their own account page (/account); they can be removed here.</p>
${passkeys}
${codes}`;
}

function detailPage(
  r: ConsoleRequest,
  u: UserView,
  f: FactorsView,
  policyRequires: boolean,
  error?: string,
  rolesValue?: string,
): ConsoleAnswer {
  const self = u.id === r.user.id;
  const facts = renderTable(
    `User ${u.username}`,
    ['Property', 'Value'],
    [
      ['Username', esc(u.username)],
      ['Subject (sub)', `<code>${esc(u.id)}</code>`],
      ['Name', esc(u.name ?? '')],
      ['Email', esc(u.email ?? '')],
      ['Administrator', u.admin ? 'yes' : 'no'],
      ['Second factor required', u.mfa_required || policyRequires ? 'yes' : 'no'],
      ['Status', u.disabled ? 'disabled' : 'active'],
      ['Failed logins', String(u.failed_logins)],
      ['Locked until', esc(u.locked_until ?? '-')],
      ['Created', esc(u.created_at)],
      ['Updated', esc(u.updated_at)],
    ],
  );
  const roles = renderPostForm(
    `${href(u.id)}/roles`,
    r.csrf,
    `${textArea('roles', 'Roles', { value: rolesValue ?? rolesText(u.roles), hint: `${ROLES_HINT} A client left out loses its roles.`, rows: 4 })}\n<button type="submit">Save roles</button>`,
  );
  const toggle = self
    ? '<p>You cannot disable your own account here.</p>'
    : renderPostForm(
        `${href(u.id)}/${u.disabled ? 'enable' : 'disable'}`,
        r.csrf,
        u.disabled
          ? '<p>Enabling also ends a lock-out from failed logins.</p><button type="submit">Enable user</button>'
          : '<p>A disabled user cannot sign in; tokens already issued stay valid until they expire.</p><button type="submit" class="secondary">Disable user</button>',
      );
  const password = renderPostForm(
    `${href(u.id)}/password`,
    r.csrf,
    `${textField('new-password', 'New password', { type: 'password', autocomplete: 'new-password', hint: 'Leave empty to generate a strong one, shown once. The old password stops working at once.' })}\n<button type="submit" class="secondary">Reset password</button>`,
  );
  const remove = self
    ? '<p>You cannot delete your own account here.</p>'
    : `<p><a class="button secondary" href="${href(u.id)}/delete">Delete this user…</a></p>`;
  return page(
    {
      title: `User ${u.username}`,
      section: 'users',
      ...noticeOf(r.url),
      ...(error === undefined ? {} : { error }),
      body: `${facts}\n<h2>Roles</h2>\n${roles}\n<h2>Access</h2>\n${toggle}\n<h2>Password</h2>\n${password}\n<h2>Second factors</h2>\n${factorsSection(r, u, f, policyRequires)}\n<h2>Delete</h2>\n${remove}`,
    },
    error === undefined ? 200 : 400,
  );
}

/** The whole roles map from the textarea: clients the user had and the text leaves out lose their roles. */
function replacementRoles(before: UserRoles, text: string): Record<string, string[]> {
  const next = createRecord<string[]>();
  for (const client of Object.keys(before)) next[client] = [];
  for (const [client, list] of Object.entries(parseRoleAssignments(splitLines(text)))) next[client] = list;
  return next;
}

type DetailPage = (error?: string, rolesValue?: string) => Promise<ConsoleAnswer>;

/** The user's page showing a body of its own (a set-up, codes shown once), with the way back. */
function userSubpage(u: UserView, title: string, body: string, status = 200): ConsoleAnswer {
  return page(
    {
      title,
      section: 'users',
      body: `${body}\n<p><a href="${href(u.id)}" id="back-to-user">Back to the user</a></p>`,
    },
    status,
  );
}

async function totpSetupAnswer(r: ConsoleRequest, record: UserRecord, u: UserView, error?: string) {
  const deps = { store: r.deps.store, kek: r.deps.kek, now: r.deps.now };
  const issuerName = new URL(r.deps.issuerUrl).host;
  const setup =
    (await pendingTotpSetup(deps, record, issuerName)) ?? (await beginTotpSetup(deps, record, issuerName));
  return userSubpage(
    u,
    `Authenticator app for ${u.username}`,
    totpSetupBody({
      action: `${href(u.id)}/totp-confirm`,
      csrf: r.csrf,
      qrSvg: await renderQrSvg(setup.uri, `QR code to add ${u.username} to an authenticator app`),
      secret: setup.secret,
      ...(error === undefined ? {} : { error }),
    }),
    error === undefined ? 200 : 400,
  );
}

/** Second factors of the user: set up or remove the authenticator app, new recovery codes, remove a passkey. */
async function factorAction(
  r: ConsoleRequest,
  record: UserRecord,
  u: UserView,
  name: string,
  detail: DetailPage,
): Promise<ConsoleAnswer> {
  const deps = { store: r.deps.store, kek: r.deps.kek, now: r.deps.now };
  try {
    switch (name) {
      case 'mfa-required':
        await setUserMfaRequired(r.deps.store, u.username, r.form.get('mfa_required') === 'yes', r.actor);
        return redirect(`${href(u.id)}?done=user-updated`);
      case 'totp-setup':
        return totpSetupAnswer(r, record, u);
      case 'totp-confirm':
        try {
          const { recoveryCodes } = await confirmTotpSetup(deps, record, r.form.get('code') ?? '', r.actor);
          return userSubpage(
            u,
            `Authenticator app of ${u.username} set up`,
            recoveryCodes === null
              ? '<p>It is asked for at their next sign-in. They have recovery codes from before.</p>'
              : `<p>It is asked for at their next sign-in. Give the user these codes over a safe channel.</p>\n${recoveryCodesBody(recoveryCodes)}`,
          );
        } catch (err) {
          if (err instanceof IssuerError && err.code === 'ERR_FACTOR_INVALID')
            return totpSetupAnswer(r, record, u, err.message);
          throw err;
        }
      case 'totp-remove':
        await removeTotp(deps, record, r.actor);
        return redirect(`${href(u.id)}?done=user-updated`);
      case 'recovery-codes': {
        const codes = await regenerateRecoveryCodes(deps, record, r.actor);
        return userSubpage(
          u,
          `New recovery codes for ${u.username}`,
          `<p>Their earlier codes no longer work. Give the user these over a safe channel.</p>\n${recoveryCodesBody(codes)}`,
        );
      }
      case 'passkey-remove':
        await removePasskey(deps, record, r.form.get('passkey') ?? '', r.actor);
        return redirect(`${href(u.id)}?done=user-updated`);
      default:
        return NOT_FOUND;
    }
  } catch (err) {
    if (err instanceof IssuerError && err.status < 500) return detail(err.message);
    throw err;
  }
}

const FACTOR_ACTIONS = new Set([
  'mfa-required',
  'totp-setup',
  'totp-confirm',
  'totp-remove',
  'recovery-codes',
  'passkey-remove',
]);

async function action(
  r: ConsoleRequest,
  record: UserRecord,
  u: UserView,
  name: string,
  detail: DetailPage,
): Promise<ConsoleAnswer> {
  const { store } = r.deps;
  const self = u.id === r.user.id;
  if (FACTOR_ACTIONS.has(name)) return factorAction(r, record, u, name, detail);
  switch (name) {
    case 'roles': {
      const text = r.form.get('roles') ?? '';
      try {
        const roles = replacementRoles(u.roles, text);
        if (Object.keys(roles).length === 0) return redirect(`${href(u.id)}?done=user-updated`);
        await setUserRoles(store, u.username, roles, r.actor);
      } catch (err) {
        if (err instanceof IssuerError && err.code === 'ERR_USER_INVALID') return detail(err.message, text);
        throw err;
      }
      return redirect(`${href(u.id)}?done=user-updated`);
    }
    case 'disable':
    case 'enable':
      if (self) return detail('You cannot disable your own account.');
      await setUserDisabled(store, u.username, name === 'disable', r.actor);
      r.deps.onRevoked();
      return redirect(`${href(u.id)}?done=user-${name}d`);
    case 'password': {
      const given = r.form.get('new-password') ?? '';
      try {
        const reset = await resetUserPassword(store, u.username, given === '' ? undefined : given, r.actor);
        r.deps.onRevoked();
        return page({
          title: `Password of ${u.username} reset`,
          section: 'users',
          body: `${reset.password === null ? '<p>The password you gave is set.</p>' : passwordBox(u.username, reset.password)}\n<p><a href="${href(u.id)}">Back to the user</a></p>`,
        });
      } catch (err) {
        if (err instanceof IssuerError && err.code === 'ERR_USER_INVALID') return detail(err.message);
        throw err;
      }
    }
    case 'delete':
      if (self) return detail('You cannot delete your own account.');
      await removeUser(store, u.username, r.actor);
      r.deps.onRevoked();
      return redirect(`${BASE}?done=user-deleted`);
    default:
      return NOT_FOUND;
  }
}

/**
 * /console/users: list, create (a generated password shown once), roles, disable/enable, password
 * reset, second factors (require one, set up an authenticator app with the user, new recovery
 * codes, remove a factor), delete.
 */
export const usersSection: ConsoleSection = async (r, parts) => {
  const [id, name, ...rest] = parts;
  if (rest.length > 0) return NOT_FOUND;
  if (id === undefined) return r.method === 'GET' ? listPage(r) : create(r);
  if (id === NEW && name === undefined) {
    if (r.method !== 'GET') return methodNotAllowed('GET');
    const v = { username: '', email: '', name: '', roles: '', admin: false, mfaRequired: false };
    return page({ title: 'New user', section: 'users', body: createForm(r, v) });
  }
  if (!USER_ID.test(id)) return NOT_FOUND;
  const record = await r.deps.store.users.get(id);
  if (record === undefined) return NOT_FOUND;
  // By id, then by the unique username: never another user whose username looks like this id.
  const u = toUserView(record);
  const detail: DetailPage = async (error, rolesValue) =>
    detailPage(
      r,
      u,
      await describeFactors(r.deps.store, u.id),
      isMfaRequired(record, r.deps.mfa),
      error,
      rolesValue,
    );
  if (name === undefined) {
    if (r.method !== 'GET') return methodNotAllowed('GET');
    return detail();
  }
  if (name === 'delete' && r.method === 'GET') {
    return page({
      title: `Delete user ${u.username}?`,
      section: 'users',
      body: `<p>Deleting <strong>${esc(u.username)}</strong> ends their sign-ins; tokens already issued stay valid until they expire.</p>
${renderPostForm(`${href(u.id)}/delete`, r.csrf, `<button type="submit" class="danger">Delete ${esc(u.username)}</button> <a class="button secondary" href="${href(u.id)}">Cancel</a>`)}`,
    });
  }
  if (r.method !== 'POST') return methodNotAllowed('POST');
  try {
    return await action(r, record, u, name, detail);
  } catch (err) {
    // Removed by another operator (or replica) since it was read above.
    if (err instanceof IssuerError && err.code === 'ERR_USER_NOT_FOUND') return NOT_FOUND;
    throw err;
  }
};
