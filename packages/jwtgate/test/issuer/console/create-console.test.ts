// The web console over real HTTP against an in-process issuer on a temp SQLite store: sign-in
// (admins only, generic refusal), the session cookie, CSRF, each section, logout, and the headers
// (strict CSP, no inline script) of every page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AUDIENCE, getToken, postForm } from '../helpers.ts';
import {
  ADMIN,
  adminBrowser,
  ConsoleBrowser,
  type ConsoleIssuer,
  csrfOf,
  PLAIN,
  shownValue,
  startConsoleIssuer,
} from './console-helpers.ts';

const INVALID = 'Invalid username or password.';
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Every page: the strict CSP, no-store, no script of any kind. */
function assertStrictPage(page: { headers: Headers; text: string }, where: string): void {
  assert.equal(page.headers.get('content-security-policy'), CSP, where);
  assert.equal(page.headers.get('cache-control'), 'no-store', where);
  assert.equal(page.headers.get('x-frame-options'), 'DENY', where);
  assert.doesNotMatch(page.text, /<script|\son[a-z]+=|javascript:/i, where);
  assert.match(page.text, /<html lang="en">/, where);
}

describe('console', () => {
  let t: ConsoleIssuer;
  let skew = 0;

  before(async () => {
    t = await startConsoleIssuer({}, { now: () => Date.now() + skew });
  });
  after(() => t.close());

  describe('sign-in', () => {
    test('/console without a session redirects to the login page, which is the OAuth login page', async () => {
      const b = new ConsoleBrowser(t.url);
      const r = await b.get('/console/clients');
      assert.equal(r.status, 303);
      assert.equal(r.location, '/console/login');
      const login = await b.get('/console/login');
      assert.equal(login.status, 200);
      assert.match(login.text, /<h1>Sign in<\/h1>/);
      assert.match(login.text, /autocomplete="current-password"/);
      assert.match(login.headers.get('content-security-policy') ?? '', /form-action 'self'/);
      assert.doesNotMatch(login.text, /<script/i);
    });

    test('a wrong password and a non-admin user get the same generic refusal and no session', async () => {
      for (const credentials of [
        { username: ADMIN.username, password: 'wrong password here' },
        PLAIN,
        { username: 'nobody', password: 'whatever it is 123' },
      ]) {
        const b = new ConsoleBrowser(t.url);
        const r = await b.signIn(credentials);
        assert.equal(r.status, 400, credentials.username);
        assert.match(r.text, new RegExp(INVALID.replace('.', '\\.')));
        assert.equal(b.cookies.has('jwtgate-console'), false);
        assert.equal((await b.get('/console')).status, 303);
      }
      const events = await t.store.audit.recent(20, ['login.failed']);
      assert.ok(events.some((e) => e.subject === t.plainId && e.detail.reason === 'not_admin'));
    });

    test('the session cookie is HttpOnly, SameSite=Strict, Path=/console (no Secure on http)', async () => {
      const b = await adminBrowser(t);
      const line = b.setCookies.find((c) => c.startsWith('jwtgate-console='));
      assert.ok(line);
      assert.match(line, /; HttpOnly/);
      assert.match(line, /; SameSite=Strict/);
      assert.match(line, /; Path=\/console/);
      assert.doesNotMatch(line, /Secure/);
      assert.match(line, /^jwtgate-console=[A-Za-z0-9_-]{43};/);
      // Only the hash of the id is stored.
      const id = b.cookies.get('jwtgate-console') as string;
      assert.equal(await t.store.oidc.find('ConsoleSession', id), undefined);
    });

    test('the login form without its CSRF token or cookie is refused (403)', async () => {
      const b = new ConsoleBrowser(t.url);
      await b.get('/console/login');
      const missing = await b.request('/console/login', { form: { ...ADMIN, action: 'login' } });
      assert.equal(missing.status, 403);
      const stranger = new ConsoleBrowser(t.url);
      const page = await stranger.get('/console/login');
      const noCookie = await fetch(`${t.url}/console/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...ADMIN, csrf: csrfOf(page.text) }),
        redirect: 'manual',
      });
      assert.equal(noCookie.status, 403);
    });

    test('a user who is no longer an admin, or disabled, loses the session at the next request', async () => {
      const b = await adminBrowser(t);
      const other = await adminBrowser(t);
      assert.equal((await b.get('/console')).status, 200);
      await t.store.users.update(t.adminId, { admin: false });
      assert.equal((await b.get('/console')).status, 303);
      await t.store.users.update(t.adminId, { admin: true, disabled: true });
      assert.equal((await other.get('/console')).status, 303);
      await t.store.users.update(t.adminId, { disabled: false });
    });
  });

  describe('CSRF and requests', () => {
    let b: ConsoleBrowser;
    before(async () => {
      b = await adminBrowser(t);
    });

    test('a POST without or with a wrong CSRF token is refused (403) and changes nothing', async () => {
      const form = { jti: 'csrf-test-jti' };
      assert.equal((await b.request('/console/revocations', { form })).status, 403);
      assert.equal(
        (await b.request('/console/revocations', { form: { ...form, csrf: 'x'.repeat(43) } })).status,
        403,
      );
      // Another session's token is not this one's.
      const other = await adminBrowser(t);
      const foreign = csrfOf((await other.get('/console')).text);
      assert.equal(
        (await b.request('/console/revocations', { form: { ...form, csrf: foreign } })).status,
        403,
      );
      assert.equal(await t.store.revocations.isRevoked('csrf-test-jti'), false);
    });

    test('forms are URL-encoded and at most 16 KiB; unknown paths 404; methods are checked', async () => {
      const csrf = csrfOf((await b.get('/console')).text);
      const json = await b.request('/console/revocations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        form: { csrf },
      });
      assert.equal(json.status, 415);
      const big = await b.request('/console/debugger', { form: { csrf, token: 'a'.repeat(17 * 1024) } });
      assert.equal(big.status, 413);
      const missing = await b.get('/console/no-such-page');
      assert.equal(missing.status, 404);
      assertStrictPage(missing, '404');
      assert.equal((await b.get('/console/clients/no-such-client')).status, 404);
      assert.equal((await b.request('/console/clients', { method: 'DELETE' })).status, 405);
      assert.equal((await b.get('/console/keys/rotate')).status, 405);
      assert.equal((await b.get('/console/logout')).status, 405);
    });

    test('the stylesheet is served from /console/assets with caching and no session', async () => {
      const page = await b.get('/console');
      const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.text)?.[1] as string;
      assert.match(href, /^\/console\/assets\/console\.css\?v=/);
      const css = await fetch(`${t.url}${href}`);
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
      assert.match(css.headers.get('cache-control') ?? '', /max-age=31536000, immutable/);
      assert.match(await css.text(), /focus-visible/);
      const etag = css.headers.get('etag') as string;
      const again = await fetch(`${t.url}${href}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
    });
  });

  describe('clients', () => {
    let b: ConsoleBrowser;
    let secret: string;
    before(async () => {
      b = await adminBrowser(t);
    });

    test('create: the secret is shown once (no-store) and works at the token endpoint', async () => {
      const r = await b.submit('/console/clients/_new', '/console/clients', {
        id: 'reports',
        name: 'Reports <service>',
        auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        scopes: 'reports:read reports:write',
        roles: 'reporter',
        audiences: AUDIENCE,
        redirect_uris: '',
      });
      assert.equal(r.status, 201, r.text);
      assertStrictPage(r, 'created');
      secret = shownValue(r.text, 'client-secret-value');
      assert.match(secret, /^[A-Za-z0-9_-]{40,}$/);
      const token = await getToken(t.url, 'reports', secret, { scope: 'reports:read', resource: AUDIENCE });
      assert.equal(token.split('.').length, 3);
      const shown = await b.get('/console/clients/reports');
      assert.equal(shown.status, 200);
      assert.doesNotMatch(shown.text, new RegExp(secret));
      assert.match(shown.text, /Reports &lt;service&gt;/);
      const list = await b.get('/console/clients');
      assert.match(list.text, /href="\/console\/clients\/reports"/);
    });

    test('create with authorization_code needs a redirect URI; errors are shown, escaped, with the form', async () => {
      const r = await b.submit('/console/clients/_new', '/console/clients', {
        id: 'webapp2',
        auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        audiences: AUDIENCE,
      });
      assert.equal(r.status, 400);
      assert.match(r.text, /role="alert">redirect URIs: authorization_code needs at least one/);
      const ok = await b.submit('/console/clients/_new', '/console/clients', {
        id: 'webapp2',
        auth_method: 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: 'https://app.example/callback',
        audiences: AUDIENCE,
      });
      assert.equal(ok.status, 201, ok.text);
      const stored = await t.store.clients.get('webapp2');
      assert.deepEqual(stored?.grantTypes, ['authorization_code', 'refresh_token']);
      assert.deepEqual(stored?.redirectUris, ['https://app.example/callback']);
      assert.equal(stored?.authMethod, 'client_secret_post');
    });

    test('a public browser app: no secret shown, its web origins; edited like any client', async () => {
      const r = await b.submit('/console/clients/_new', '/console/clients', {
        id: 'spa',
        auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: 'https://spa.example/callback',
        web_origins: 'https://spa.example',
        audiences: AUDIENCE,
      });
      assert.equal(r.status, 201, r.text);
      assert.match(r.text, /public client/);
      assert.doesNotMatch(r.text, /client-secret-value/);
      assert.deepEqual((await t.store.clients.get('spa'))?.webOrigins, ['https://spa.example']);
      const shown = await b.get('/console/clients/spa');
      assert.match(shown.text, /it has no secret, by design/);
      assert.match(shown.text, /<textarea id="web_origins"[^>]*>https:\/\/spa\.example<\/textarea>/);
      const edited = await b.submit('/console/clients/spa', '/console/clients/spa', {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: 'https://spa.example/callback',
        web_origins: 'https://spa.example\nhttps://beta.spa.example',
        audiences: AUDIENCE,
      });
      assert.equal(edited.status, 303, edited.text);
      assert.deepEqual((await t.store.clients.get('spa'))?.webOrigins, [
        'https://beta.spa.example',
        'https://spa.example',
      ]);
      const refused = await b.submit('/console/clients/_new', '/console/clients', {
        id: 'spa2',
        auth_method: 'none',
        grant_types: ['client_credentials'],
        audiences: AUDIENCE,
      });
      assert.equal(refused.status, 400);
      assert.match(refused.text, /client_credentials needs client authentication/);
    });

    test('edit roles, scopes, audiences and redirect URIs', async () => {
      const r = await b.submit('/console/clients/reports', '/console/clients/reports', {
        name: 'Reports',
        grant_types: ['client_credentials'],
        scopes: 'reports:read',
        roles: 'reporter auditor',
        audiences: `${AUDIENCE}\nhttps://audit.example`,
        redirect_uris: '',
      });
      assert.equal(r.status, 303);
      assert.equal(r.location, '/console/clients/reports?done=client-updated');
      const stored = await t.store.clients.get('reports');
      assert.deepEqual(stored?.roles, ['reporter', 'auditor']);
      assert.deepEqual(stored?.scopes, ['reports:read']);
      assert.deepEqual(stored?.audiences, [AUDIENCE, 'https://audit.example']);
      const shown = await b.get(r.location as string);
      assert.match(shown.text, /The client was updated\./);
      const bad = await b.submit('/console/clients/reports', '/console/clients/reports', {
        grant_types: ['client_credentials'],
        audiences: 'not a uri',
      });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /audiences: &quot;not a uri&quot; is not valid/);
    });

    test('rotate the secret: the new one is shown once, the old one stops working', async () => {
      const r = await b.submit('/console/clients/reports', '/console/clients/reports/rotate-secret', {});
      assert.equal(r.status, 200);
      const rotated = shownValue(r.text, 'client-secret-value');
      assert.notEqual(rotated, secret);
      const old = await postForm(
        `${t.url}/token`,
        { grant_type: 'client_credentials' },
        { id: 'reports', secret, method: 'basic' },
      );
      assert.equal(old.status, 401);
      await getToken(t.url, 'reports', rotated, { resource: AUDIENCE });
    });

    test('delete asks for confirmation, then removes the client', async () => {
      const confirm = await b.get('/console/clients/reports/delete');
      assert.equal(confirm.status, 200);
      assert.match(confirm.text, /Delete client reports\?/);
      const r = await b.submit('/console/clients/reports/delete', '/console/clients/reports/delete', {});
      assert.equal(r.status, 303);
      assert.equal(await t.store.clients.get('reports'), undefined);
      assert.equal((await b.get('/console/clients/reports')).status, 404);
    });
  });

  describe('users', () => {
    let b: ConsoleBrowser;
    let carolId: string;
    before(async () => {
      b = await adminBrowser(t);
    });

    test('create with a generated password, shown once; the user can then sign in (if admin)', async () => {
      const r = await b.submit('/console/users/_new', '/console/users', {
        username: 'carol',
        email: 'carol@example.com',
        name: 'Carol',
        roles: 'webapp=billing,reader\n*=staff',
        admin: 'yes',
        password: '',
      });
      assert.equal(r.status, 201, r.text);
      const password = shownValue(r.text, 'generated-password');
      const carol = await t.store.users.getByUsername('carol');
      assert.ok(carol);
      carolId = carol.id;
      assert.deepEqual(carol.roles, { webapp: ['billing', 'reader'], '*': ['staff'] });
      assert.equal(carol.admin, true);
      const c = new ConsoleBrowser(t.url);
      assert.equal((await c.signIn({ username: 'carol', password })).status, 303);
      const list = await b.get('/console/users');
      assert.match(list.text, /carol/);
    });

    test('create with a given password; invalid input is explained', async () => {
      const r = await b.submit('/console/users/_new', '/console/users', {
        username: 'dave',
        password: 'dave password 12345',
      });
      assert.equal(r.status, 201);
      assert.match(r.text, /The password you gave is set/);
      const dup = await b.submit('/console/users/_new', '/console/users', {
        username: 'DAVE',
        password: 'dave password 12345',
      });
      assert.equal(dup.status, 409);
      const badRoles = await b.submit('/console/users/_new', '/console/users', {
        username: 'erin',
        roles: 'no equals sign',
      });
      assert.equal(badRoles.status, 400);
      assert.match(badRoles.text, /is not client=role1,role2/);
    });

    test('edit roles replaces the whole map', async () => {
      const r = await b.submit(`/console/users/${carolId}`, `/console/users/${carolId}/roles`, {
        roles: 'reports=viewer',
      });
      assert.equal(r.status, 303);
      assert.deepEqual((await t.store.users.get(carolId))?.roles, { reports: ['viewer'] });
    });

    test('disable, enable, reset the password, delete', async () => {
      assert.equal(
        (await b.submit(`/console/users/${carolId}`, `/console/users/${carolId}/disable`, {})).status,
        303,
      );
      assert.equal((await t.store.users.get(carolId))?.disabled, true);
      assert.equal(
        (await b.submit(`/console/users/${carolId}`, `/console/users/${carolId}/enable`, {})).status,
        303,
      );
      assert.equal((await t.store.users.get(carolId))?.disabled, false);
      const reset = await b.submit(`/console/users/${carolId}`, `/console/users/${carolId}/password`, {
        'new-password': '',
      });
      assert.equal(reset.status, 200);
      const password = shownValue(reset.text, 'generated-password');
      assert.equal((await new ConsoleBrowser(t.url).signIn({ username: 'carol', password })).status, 303);
      const weak = await b.submit(`/console/users/${carolId}`, `/console/users/${carolId}/password`, {
        'new-password': 'short',
      });
      assert.equal(weak.status, 400);
      assert.equal((await b.get(`/console/users/${carolId}/delete`)).status, 200);
      assert.equal(
        (await b.submit(`/console/users/${carolId}/delete`, `/console/users/${carolId}/delete`, {})).status,
        303,
      );
      assert.equal(await t.store.users.get(carolId), undefined);
    });

    test('an administrator cannot disable or delete their own account', async () => {
      const r = await b.submit(`/console/users/${t.adminId}`, `/console/users/${t.adminId}/disable`, {});
      assert.equal(r.status, 400);
      assert.equal((await t.store.users.get(t.adminId))?.disabled, false);
      const d = await b.submit(`/console/users/${t.adminId}`, `/console/users/${t.adminId}/delete`, {});
      assert.equal(d.status, 400);
    });
  });

  describe('keys and revocations', () => {
    let b: ConsoleBrowser;
    before(async () => {
      b = await adminBrowser(t);
    });

    test('the keys page lists the current key with dates; "rotate now" creates a next key', async () => {
      const page = await b.get('/console/keys');
      assert.match(page.text, /current: signs new tokens/);
      const r = await b.submit('/console/keys', '/console/keys/rotate', {});
      assert.equal(r.status, 303);
      const keys = await t.store.keys.list();
      assert.equal(keys.filter((k) => k.state === 'next').length, 1);
      const after = await b.get(r.location as string);
      assert.match(after.text, /next: published, signs from its activation/);
      assert.match(after.text, /A new signing key was created/);
      // The key ring was told: the new key is in the JWKS without waiting for a poll.
      const next = keys.find((k) => k.state === 'next');
      for (let i = 0; i < 50; i++) {
        const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as {
          keys: { kid: string }[];
        };
        if (jwks.keys.some((k) => k.kid === next?.kid)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.fail('the new key was not published');
    });

    test('revoking a jti shows it on the page and in GET /revocations', async () => {
      const r = await b.submit('/console/revocations', '/console/revocations', {
        jti: 'console-revoked-jti-1',
      });
      assert.equal(r.status, 303);
      const page = await b.get(r.location as string);
      assert.match(page.text, /console-revoked-jti-1/);
      assert.match(page.text, /in \d+ min/);
      const feed = (await (await fetch(`${t.url}/revocations`)).json()) as {
        revocations?: { jti: string }[];
      };
      assert.match(JSON.stringify(feed), /console-revoked-jti-1/);
      const bad = await b.submit('/console/revocations', '/console/revocations', { jti: 'has space' });
      assert.equal(bad.status, 400);
    });
  });

  describe('token debugger', () => {
    let b: ConsoleBrowser;
    let token: string;
    before(async () => {
      b = await adminBrowser(t);
      await t.store.clients.remove('dbg').catch(() => {});
      const created = await b.submit('/console/clients/_new', '/console/clients', {
        id: 'dbg',
        auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        audiences: AUDIENCE,
      });
      token = await getToken(t.url, 'dbg', shownValue(created.text, 'client-secret-value'), {
        resource: AUDIENCE,
      });
    });

    const explain = (form: Record<string, string>) =>
      b.submit('/console/debugger', '/console/debugger', form);

    test('a valid token: every check passed, claims decoded and escaped, times relative', async () => {
      const r = await explain({ token, audience: '' });
      assert.equal(r.status, 200);
      assertStrictPage(r, 'debugger');
      assert.match(r.text, /<strong>Valid:<\/strong>/);
      assert.doesNotMatch(r.text, /data-step="[a-z]+">failed/);
      assert.match(r.text, /&quot;client_id&quot;: &quot;dbg&quot;/);
      assert.match(r.text, /expires in [45] min/);
      // Not echoed back: the token is not in the page, the URL has no query.
      assert.equal(r.text.includes(token), false);
    });

    test('an expired token: the claims check fails with ERR_TOKEN_EXPIRED, "expired ... ago"', async () => {
      skew = 10 * 60_000;
      try {
        const r = await explain({ token, audience: '' });
        assert.match(r.text, /<strong>Invalid:<\/strong> <code>ERR_TOKEN_EXPIRED<\/code>/);
        assert.match(r.text, /data-step="signature">passed/);
        assert.match(r.text, /data-step="claims">failed/);
        assert.match(r.text, /data-step="revocation">not reached/);
        assert.match(r.text, /expired [56] min ago/);
      } finally {
        skew = 0;
      }
    });

    test('a wrong audience fails the claims check; a bad signature fails the signature check', async () => {
      const aud = await explain({ token, audience: 'https://other.example' });
      assert.match(aud.text, /ERR_AUDIENCE_MISMATCH/);
      assert.match(aud.text, /data-step="claims">failed/);
      const [h, p, s] = token.split('.') as [string, string, string];
      const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
      const sig = await explain({ token: `${h}.${p}.${flipped}`, audience: '' });
      assert.match(sig.text, /data-step="key">passed/);
      assert.match(sig.text, /data-step="signature">failed/);
      assert.match(sig.text, /ERR_SIGNATURE_INVALID/);
    });

    test('a revoked token fails the revocation check', async () => {
      const jti = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())
        .jti as string;
      await t.store.revocations.add(jti, Math.ceil(Date.now() / 1000) + 600);
      const r = await explain({ token, audience: '' });
      assert.match(r.text, /data-step="revocation">failed/);
      assert.match(r.text, /ERR_TOKEN_REVOKED/);
    });

    test('malformed input gets a clear message, never a stack trace', async () => {
      for (const garbage of ['not a token', 'a.b.c', '<script>alert(1)</script>']) {
        const r = await explain({ token: garbage, audience: '' });
        assert.equal(r.status, 200);
        assert.match(r.text, /not a JWT: /);
        assert.match(r.text, /data-step="parse">failed/);
        assert.doesNotMatch(r.text, /at [\w.]+ \(|node:internal|<script>/);
      }
      const empty = await explain({ token: '', audience: '' });
      assert.equal(empty.status, 400);
    });
  });

  describe('activity and logout', () => {
    test('the activity page lists a login failure; the chart has the bucket counts', async () => {
      await new ConsoleBrowser(t.url).signIn({ username: ADMIN.username, password: 'a wrong password 1' });
      const b = await adminBrowser(t);
      const r = await b.get('/console?range=1h');
      assert.equal(r.status, 200);
      assertStrictPage(r, 'activity');
      assert.match(r.text, /<code>login\.failed<\/code>/);
      assert.match(r.text, /<svg class="chart" role="img" aria-labelledby="chart-title chart-desc"/);
      assert.match(r.text, /<title id="chart-title">Tokens issued and login failures, last hour<\/title>/);
      const buckets = [...r.text.matchAll(/data-tokens="(\d+)" data-failures="(\d+)"/g)];
      assert.equal(buckets.length, 12);
      const tokens = buckets.reduce((n, m) => n + Number(m[1]), 0);
      const failures = buckets.reduce((n, m) => n + Number(m[2]), 0);
      const since = Date.now() - 3600_000;
      const issued = (await t.store.audit.recent(1000, ['token.issued'])).filter((e) => e.at >= since).length;
      const failed = (await t.store.audit.recent(1000, ['login.failed', 'auth.failed'])).filter(
        (e) => e.at >= since,
      ).length;
      assert.ok(tokens >= 3 && failures >= 4, `${tokens} tokens, ${failures} failures`);
      assert.equal(tokens, issued);
      assert.equal(failures, failed);
      assert.match(r.text, new RegExp(`${tokens} tokens issued and ${failures} login failures`));
      const day = await b.get('/console');
      assert.equal([...day.text.matchAll(/data-tokens=/g)].length, 24);
    });

    test('every page has the strict CSP and no inline script', async () => {
      const b = await adminBrowser(t);
      for (const path of [
        '/console',
        '/console/activity',
        '/console/clients',
        '/console/clients/_new',
        '/console/clients/dbg',
        '/console/clients/dbg/delete',
        '/console/users',
        '/console/users/_new',
        `/console/users/${t.plainId}`,
        '/console/keys',
        '/console/revocations',
        '/console/debugger',
      ]) {
        const r = await b.get(path);
        assert.equal(r.status, 200, path);
        assertStrictPage(r, path);
        assert.match(r.text, /<h1>/, path);
      }
    });

    test('logout ends the session server-side and clears the cookie', async () => {
      const b = await adminBrowser(t);
      const cookie = b.cookies.get('jwtgate-console') as string;
      const r = await b.submit('/console', '/console/logout', {});
      assert.equal(r.status, 303);
      assert.equal(r.location, '/console/login');
      assert.equal(b.cookies.has('jwtgate-console'), false);
      // The old cookie, replayed, no longer works.
      const replay = await fetch(`${t.url}/console`, {
        headers: { cookie: `jwtgate-console=${cookie}` },
        redirect: 'manual',
      });
      assert.equal(replay.status, 303);
    });

    test('the session ends after 30 minutes idle', async () => {
      const b = await adminBrowser(t);
      skew = 31 * 60_000;
      try {
        assert.equal((await b.get('/console')).status, 303);
      } finally {
        skew = 0;
      }
    });
  });
});

describe('console: disabled', () => {
  test('with console: false, /console is 404', async () => {
    const t = await startConsoleIssuer({ console: false });
    try {
      const r = await fetch(`${t.url}/console/login`);
      assert.equal(r.status, 404);
    } finally {
      await t.close();
    }
  });
});
