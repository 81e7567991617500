import {
  APPLICATION_TYPES,
  type ApplicationType,
  AUTH_METHODS,
  addClient,
  type ClientAuthMethod,
  type ClientChanges,
  type ClientDpop,
  type ClientView,
  DPOP_MODES,
  GRANT_TYPES,
  listClients,
  removeClient,
  rotateClientSecret,
  showClient,
  updateClient,
} from '../admin/manage-clients.ts';
import { IssuerError } from '../errors.ts';
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
import {
  esc,
  renderPostForm,
  renderTable,
  splitLines,
  splitList,
  textArea,
  textField,
} from './console-page.ts';

const BASE = '/console/clients';
/** Client ids start with a letter or digit, so this path is never a client's. */
const NEW = '_new';

const href = (id: string) => `${BASE}/${encodeURIComponent(id)}`;

interface ClientFormValues {
  readonly id: string;
  readonly name: string;
  readonly authMethod: string;
  readonly grantTypes: readonly string[];
  readonly redirectUris: string;
  readonly scopes: string;
  readonly roles: string;
  readonly audiences: string;
  readonly jwks: string;
  readonly applicationType: string;
  readonly webOrigins: string;
  readonly exchangeAudiences: string;
  readonly exchangeIssuers: string;
  readonly dpop: string;
}

const EMPTY: ClientFormValues = {
  id: '',
  name: '',
  authMethod: 'client_secret_basic',
  grantTypes: ['client_credentials'],
  redirectUris: '',
  scopes: '',
  roles: '',
  audiences: '',
  jwks: '',
  applicationType: 'web',
  webOrigins: '',
  exchangeAudiences: '',
  exchangeIssuers: '',
  dpop: 'allowed',
};

function valuesOf(form: URLSearchParams): ClientFormValues {
  return {
    id: (form.get('id') ?? '').trim(),
    name: (form.get('name') ?? '').trim(),
    authMethod: form.get('auth_method') ?? 'client_secret_basic',
    grantTypes: form.getAll('grant_types'),
    redirectUris: form.get('redirect_uris') ?? '',
    scopes: form.get('scopes') ?? '',
    roles: form.get('roles') ?? '',
    audiences: form.get('audiences') ?? '',
    jwks: form.get('jwks') ?? '',
    applicationType: form.get('application_type') ?? 'web',
    webOrigins: form.get('web_origins') ?? '',
    exchangeAudiences: form.get('exchange_audiences') ?? '',
    exchangeIssuers: form.get('exchange_issuers') ?? '',
    dpop: form.get('dpop') ?? 'allowed',
  };
}

/** The form's public-client and token exchange fields, as manage-clients takes them. */
function profileChanges(v: ClientFormValues): ClientChanges {
  const exchangeAudiences = splitLines(v.exchangeAudiences);
  return {
    grantTypes: v.grantTypes,
    redirectUris: splitLines(v.redirectUris),
    scopes: splitList(v.scopes),
    roles: splitList(v.roles),
    audiences: splitLines(v.audiences),
    applicationType: v.applicationType as ApplicationType,
    webOrigins: splitLines(v.webOrigins),
    // No exchange audiences: no token exchange.
    tokenExchange:
      exchangeAudiences.length === 0
        ? null
        : { audiences: exchangeAudiences, issuers: splitLines(v.exchangeIssuers) },
    dpop: v.dpop as ClientDpop,
  };
}

/** Short labels for the grant types with URN names. */
const GRANT_LABELS: Readonly<Record<string, string>> = {
  'urn:ietf:params:oauth:grant-type:device_code': 'device_code (RFC 8628)',
  'urn:ietf:params:oauth:grant-type:token-exchange': 'token_exchange (RFC 8693)',
};
const fieldId = (grant: string) => `grant-${grant.replace(/[^a-z_]/gi, '-')}`;

function grantTypeFields(selected: readonly string[]): string {
  const boxes = GRANT_TYPES.map(
    (g) =>
      `<input type="checkbox" id="${fieldId(g)}" name="grant_types" value="${esc(g)}"${selected.includes(g) ? ' checked' : ''}><label for="${fieldId(g)}">${esc(GRANT_LABELS[g] ?? g)}</label>`,
  ).join('\n');
  return `<fieldset><legend>Grant types</legend>\n${boxes}\n<p class="hint">authorization_code (users sign in) needs redirect URIs; refresh_token comes with it or with device_code; token_exchange needs exchange audiences. A public client (auth method none) cannot have client_credentials or token_exchange.</p></fieldset>`;
}

/** The fields both the create and the edit form have. */
function profileFields(v: ClientFormValues): string {
  return [
    textField('name', 'Display name', {
      value: v.name,
      hint: 'Shown on the login page; defaults to the id.',
    }),
    grantTypeFields(v.grantTypes),
    `<label for="application_type">Application type</label><select id="application_type" name="application_type">${APPLICATION_TYPES.map(
      (t) => `<option value="${t}"${t === v.applicationType ? ' selected' : ''}>${t}</option>`,
    ).join('')}</select><p class="hint">native: a desktop, mobile or command-line app (RFC 8252).</p>`,
    textArea('redirect_uris', 'Redirect URIs', {
      value: v.redirectUris,
      hint: 'One per line, compared exactly. Web: https, or http to localhost. Native: http://127.0.0.1/path or http://[::1]/path (any port is accepted), a reverse-domain scheme such as com.example.app:/callback, or https.',
    }),
    textArea('web_origins', 'Web origins (public browser apps)', {
      value: v.webOrigins,
      hint: 'One per line, e.g. https://app.example: the token, revocation and userinfo endpoints answer CORS for exactly these.',
      rows: 2,
    }),
    textField('scopes', 'Scopes', {
      value: v.scopes,
      hint: 'Separated by spaces, e.g. invoices:read invoices:write',
    }),
    textField('roles', 'Roles', {
      value: v.roles,
      hint: 'Put into its client-credentials tokens; separated by spaces.',
    }),
    textArea('audiences', 'Audiences', {
      value: v.audiences,
      hint: 'One per line: the APIs (resource indicators, RFC 8707) it may get tokens for, e.g. https://billing.example',
      required: true,
      rows: 3,
    }),
    `<label for="dpop">DPoP (RFC 9449)</label><select id="dpop" name="dpop" aria-describedby="dpop-hint">${DPOP_MODES.map(
      (m) => `<option value="${m}"${m === v.dpop ? ' selected' : ''}>${m}</option>`,
    ).join(
      '',
    )}</select><p class="hint" id="dpop-hint">allowed: a token request with a DPoP proof gets a token bound to its key (cnf.jkt), one without gets a Bearer token. required: every token request must carry a proof.</p>`,
    textArea('exchange_audiences', 'Token exchange: target APIs', {
      value: v.exchangeAudiences,
      hint: "One per line: the APIs it may exchange a user's access token for (RFC 8693). Empty: no token exchange.",
      rows: 2,
    }),
    textArea('exchange_issuers', 'Token exchange: accepted subject token issuers', {
      value: v.exchangeIssuers,
      hint: 'One per line; empty: this issuer only.',
      rows: 2,
    }),
  ].join('\n');
}

function createForm(r: ConsoleRequest, v: ClientFormValues): string {
  const methods = AUTH_METHODS.map(
    (m) => `<option value="${m}"${m === v.authMethod ? ' selected' : ''}>${m}</option>`,
  ).join('');
  return renderPostForm(
    BASE,
    r.csrf,
    [
      textField('id', 'Client id', {
        value: v.id,
        required: true,
        hint: '1-128 characters from A-Z a-z 0-9 . _ ~ -, starting with a letter or digit.',
      }),
      `<label for="auth_method">Authentication method</label><select id="auth_method" name="auth_method">${methods}</select>`,
      profileFields(v),
      textArea('jwks', 'Public keys (JWKS, private_key_jwt only)', { value: v.jwks, rows: 3 }),
      '<button type="submit">Create client</button> <a class="button secondary" href="/console/clients">Cancel</a>',
    ].join('\n'),
  );
}

function fromView(c: ClientView): ClientFormValues {
  return {
    id: c.id,
    name: c.name,
    authMethod: c.auth_method,
    grantTypes: c.grant_types,
    redirectUris: c.redirect_uris.join('\n'),
    scopes: c.scopes.join(' '),
    roles: c.roles.join(' '),
    audiences: c.audiences.join('\n'),
    jwks: '',
    applicationType: c.application_type,
    webOrigins: c.web_origins.join('\n'),
    exchangeAudiences: c.token_exchange?.audiences.join('\n') ?? '',
    exchangeIssuers: c.token_exchange?.issuers.join('\n') ?? '',
    dpop: c.dpop,
  };
}

function secretBox(id: string, secret: string): string {
  return `<div class="secret" role="status">
<p><strong>Client secret of ${esc(id)}: shown once.</strong> Copy it now; only its hash is kept, and it cannot be shown again.</p>
<p><label for="client-secret-value">Client secret</label><input id="client-secret-value" type="text" readonly value="${esc(secret)}" autocomplete="off" spellcheck="false"></p>
<p>Client id: <code id="client-id">${esc(id)}</code></p>
</div>`;
}

async function listPage(r: ConsoleRequest): Promise<ConsoleAnswer> {
  const clients = await listClients(r.deps.store);
  const rows = clients.map((c) => [
    `<a href="${href(c.id)}">${esc(c.id)}</a>`,
    esc(c.name),
    esc(c.auth_method),
    esc(c.grant_types.join(', ')),
    esc(c.audiences.join(', ')),
    esc(c.scopes.join(' ')),
    esc(c.roles.join(' ')),
  ]);
  return page({
    title: 'Clients',
    section: 'clients',
    ...noticeOf(r.url),
    body: `<p><a class="button" href="${BASE}/${NEW}">New client</a></p>\n${renderTable(
      'Registered clients',
      ['Id', 'Name', 'Authentication', 'Grant types', 'Audiences', 'Scopes', 'Roles'],
      rows,
    )}`,
  });
}

async function create(r: ConsoleRequest): Promise<ConsoleAnswer> {
  const v = valuesOf(r.form);
  try {
    let jwks: { keys: Record<string, unknown>[] } | undefined;
    if (v.jwks.trim() !== '') {
      try {
        jwks = JSON.parse(v.jwks) as { keys: Record<string, unknown>[] };
      } catch {
        throw new IssuerError('ERR_CLIENT_INVALID', 'jwks: not valid JSON');
      }
    }
    const created = await addClient(
      r.deps.store,
      {
        id: v.id,
        ...(v.name === '' ? {} : { name: v.name }),
        authMethod: v.authMethod as ClientAuthMethod,
        ...profileChanges(v),
        ...(jwks === undefined ? {} : { jwks }),
      },
      r.actor,
    );
    const id = created.client.id;
    return page(
      {
        title: `Client ${id} created`,
        section: 'clients',
        body: `${created.secret !== null ? secretBox(id, created.secret) : created.client.auth_method === 'none' ? '<p>It is a public client (a browser or native app): it has no secret and signs users in with PKCE.</p>' : '<p>It authenticates with its private key (private_key_jwt): there is no secret.</p>'}\n<p><a href="${href(id)}">Show the client</a> · <a href="${BASE}">All clients</a></p>`,
      },
      201,
    );
  } catch (err) {
    if (!(err instanceof IssuerError)) throw err;
    return page(
      { title: 'New client', section: 'clients', error: err.message, body: createForm(r, v) },
      err.status,
    );
  }
}

async function detailPage(r: ConsoleRequest, c: ClientView, error?: string, values?: ClientFormValues) {
  const facts = renderTable(
    `Client ${c.id}`,
    ['Property', 'Value'],
    [
      ['Id', `<code>${esc(c.id)}</code>`],
      ['Authentication', esc(c.auth_method)],
      ['DPoP', esc(c.dpop)],
      ['Created', esc(c.created_at)],
      ['Updated', esc(c.updated_at)],
      ['Custom claims', `<code>${esc(JSON.stringify(c.claims))}</code>`],
    ],
  );
  const edit = renderPostForm(
    href(c.id),
    r.csrf,
    `${profileFields(values ?? fromView(c))}\n<button type="submit">Save changes</button>`,
  );
  const rotate =
    c.auth_method === 'private_key_jwt'
      ? '<p>This client authenticates with its private key: it has no secret to rotate.</p>'
      : c.auth_method === 'none'
        ? '<p>This is a public client: it has no secret, by design.</p>'
        : renderPostForm(
            `${href(c.id)}/rotate-secret`,
            r.csrf,
            '<p>A new secret replaces the current one at once: the old one stops working.</p><button type="submit" class="secondary">Rotate secret</button>',
          );
  return page(
    {
      title: `Client ${c.id}`,
      section: 'clients',
      ...noticeOf(r.url),
      ...(error === undefined ? {} : { error }),
      body: `${facts}
<h2>Edit</h2>
${edit}
<h2>Secret</h2>
${rotate}
<h2>Delete</h2>
<p><a class="button secondary" href="${href(c.id)}/delete">Delete this client…</a></p>`,
    },
    error === undefined ? 200 : 400,
  );
}

async function update(r: ConsoleRequest, id: string): Promise<ConsoleAnswer> {
  const v = valuesOf(r.form);
  try {
    await updateClient(
      r.deps.store,
      id,
      { ...(v.name === '' ? {} : { name: v.name }), ...profileChanges(v) },
      r.actor,
    );
    return redirect(`${href(id)}?done=client-updated`);
  } catch (err) {
    if (!(err instanceof IssuerError) || err.code === 'ERR_CLIENT_NOT_FOUND') throw err;
    return detailPage(r, await showClient(r.deps.store, id), err.message, { ...v, id });
  }
}

/** /console/clients: list, create (secret shown once), edit, rotate the secret (shown once), delete. */
export const clientsSection: ConsoleSection = async (r, parts) => {
  const [id, action, ...rest] = parts;
  if (rest.length > 0) return NOT_FOUND;
  if (id === undefined) {
    if (r.method === 'GET') return listPage(r);
    return create(r);
  }
  if (id === NEW && action === undefined) {
    if (r.method !== 'GET') return methodNotAllowed('GET');
    return page({ title: 'New client', section: 'clients', body: createForm(r, EMPTY) });
  }
  try {
    if (action === undefined) {
      if (r.method === 'GET') return await detailPage(r, await showClient(r.deps.store, id));
      // Awaited here, so an unknown client's ERR_CLIENT_NOT_FOUND is caught below (404).
      return await update(r, id);
    }
    if (action === 'rotate-secret') {
      if (r.method !== 'POST') return methodNotAllowed('POST');
      const rotated = await rotateClientSecret(r.deps.store, id, r.actor);
      return page({
        title: `New secret for ${id}`,
        section: 'clients',
        body: `${secretBox(id, rotated.secret)}\n<p><a href="${href(id)}">Back to the client</a></p>`,
      });
    }
    if (action === 'delete') {
      if (r.method === 'GET') {
        const c = await showClient(r.deps.store, id);
        return page({
          title: `Delete client ${c.id}?`,
          section: 'clients',
          body: `<p>Deleting <strong>${esc(c.id)}</strong> stops it from getting new tokens at once. Tokens it already has stay valid until they expire (revoke them to end them sooner).</p>
${renderPostForm(`${href(c.id)}/delete`, r.csrf, `<button type="submit" class="danger">Delete ${esc(c.id)}</button> <a class="button secondary" href="${href(c.id)}">Cancel</a>`)}`,
        });
      }
      await removeClient(r.deps.store, id, r.actor);
      return redirect(`${BASE}?done=client-deleted`);
    }
  } catch (err) {
    if (err instanceof IssuerError && err.code === 'ERR_CLIENT_NOT_FOUND') return NOT_FOUND;
    if (err instanceof IssuerError && err.status < 500)
      return page(
        {
          title: 'Not done',
          section: 'clients',
          error: err.message,
          body: `<p><a href="${BASE}">All clients</a></p>`,
        },
        err.status,
      );
    throw err;
  }
  return NOT_FOUND;
};
