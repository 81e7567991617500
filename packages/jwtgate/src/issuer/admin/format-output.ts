import type { RevocationRecord } from '../../store/types.ts';
import type { ClientView } from './manage-clients.ts';
import type { KeyView } from './manage-keys.ts';
import type { UserView } from './manage-users.ts';

// Plain-text renderings for the CLI; `--json` prints the same data as JSON instead.

function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)\n';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

const list = (values: readonly string[]) => (values.length ? values.join(',') : '-');

export function formatClients(clients: readonly ClientView[]): string {
  return table(
    ['ID', 'AUTH METHOD', 'AUDIENCES', 'SCOPES', 'ROLES', 'STATE'],
    clients.map((c) => [
      c.id,
      c.auth_method,
      list(c.audiences),
      list(c.scopes),
      list(c.roles),
      c.disabled ? 'disabled' : 'active',
    ]),
  );
}

export function formatClient(c: ClientView): string {
  const lines = [
    ['id', c.id],
    ['name', c.name],
    ['auth method', c.auth_method],
    ['audiences', list(c.audiences)],
    ['scopes', list(c.scopes)],
    ['roles', list(c.roles)],
    ['claims', Object.keys(c.claims).length ? JSON.stringify(c.claims) : '-'],
    ['public keys', c.jwks ? c.jwks.keys.map((k) => String(k.kid ?? k.kty)).join(',') : '-'],
    ['grant types', list(c.grant_types)],
    ['application', c.application_type],
    ['redirects', list(c.redirect_uris)],
    ['web origins', list(c.web_origins)],
    [
      'exchange',
      c.token_exchange
        ? `to ${list(c.token_exchange.audiences)}; issuers ${c.token_exchange.issuers.length ? list(c.token_exchange.issuers) : 'this issuer'}`
        : '-',
    ],
    ['state', c.disabled ? 'disabled' : 'active'],
    ['created', c.created_at],
    ['updated', c.updated_at],
  ];
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`).join('\n')}\n`;
}

/** The one place a client secret is ever printed. */
export function formatSecret(clientId: string, secret: string, created: boolean): string {
  return [
    `client ${clientId} ${created ? 'created' : 'has a new secret (the old one no longer works)'}`,
    `client_secret: ${secret}`,
    'Store it now: it is shown only this once and kept only as a hash.',
    '',
  ].join('\n');
}

export function formatKeys(keys: readonly KeyView[]): string {
  return table(
    ['KID', 'ALG', 'STATE', 'ACTIVATES AT', 'REMOVE AT', 'AT REST'],
    keys.map((k) => [
      k.kid,
      k.alg,
      k.state,
      k.activates_at ?? '-',
      k.remove_at ?? '-',
      k.state === 'retired' ? '-' : k.encrypted ? 'encrypted' : 'plain',
    ]),
  );
}

export function formatRevocation(r: RevocationRecord): string {
  return `revoked ${r.jti} until ${new Date(r.exp * 1000).toISOString()} (feed seq ${r.seq})\n`;
}

const roleList = (roles: UserView['roles']) =>
  Object.keys(roles).length
    ? Object.entries(roles)
        .map(([client, names]) => `${client}=${names.join(',')}`)
        .join(' ')
    : '-';

const userState = (u: UserView) =>
  u.disabled
    ? 'disabled'
    : u.locked_until !== null && Date.parse(u.locked_until) > Date.now()
      ? 'locked'
      : 'active';

export function formatUsers(users: readonly UserView[]): string {
  return table(
    ['USERNAME', 'ID', 'ROLES', 'ADMIN', 'STATE'],
    users.map((u) => [u.username, u.id, roleList(u.roles), u.admin ? 'yes' : 'no', userState(u)]),
  );
}

export function formatUser(u: UserView): string {
  const lines = [
    ['username', u.username],
    ['id', u.id],
    ['email', u.email ?? '-'],
    ['name', u.name ?? '-'],
    ['roles', roleList(u.roles)],
    ['admin', u.admin ? 'yes' : 'no'],
    ['state', userState(u)],
    ['failed logins', String(u.failed_logins)],
    ['locked until', u.locked_until ?? '-'],
    ['created', u.created_at],
    ['updated', u.updated_at],
  ];
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(15)}${v}`).join('\n')}\n`;
}

/** The one place a user's password is ever printed: a generated one, once. */
export function formatUserPassword(username: string, password: string | null, created: boolean): string {
  const done = created
    ? `user ${username} created`
    : `user ${username} has a new password (the old one no longer works)`;
  if (password === null) return `${done}\n`;
  return [
    done,
    `password: ${password}`,
    'Give it to the user now: it is shown only this once and kept only as a hash.',
    '',
  ].join('\n');
}
