// Shared pieces of the login tests: an issuer with a user and an authorization-code client, a
// cookie jar, and the browser's side of the code flow with PKCE, driven by hand over HTTP.
import { createHash, randomBytes } from 'node:crypto';
import type { IssuerOptionsInput } from '../../../src/issuer/issuer-options.ts';
import { hashPassword } from '../../../src/store/hash-password.ts';
import type { UserRecord } from '../../../src/store/types.ts';
import { AUDIENCE, basic, registerClient, startTestIssuer, type TestIssuer } from '../helpers.ts';

export const CLIENT_ID = 'webapp';
export const REDIRECT_URI = 'https://app.example/callback';
export const PASSWORD = 'correct horse battery staple';

export interface LoginIssuer extends TestIssuer {
  readonly secret: string;
  readonly user: UserRecord;
}

/** An issuer with client `webapp` (code + refresh, scope invoices:read) and user `alice`. */
export async function startLoginIssuer(
  overrides: IssuerOptionsInput = {},
  now?: () => number,
): Promise<LoginIssuer> {
  const t = await startTestIssuer(overrides, now ? { now } : {});
  const secret = (await registerClient(t.store, {
    id: CLIENT_ID,
    name: 'Web App',
    scopes: ['invoices:read', 'invoices:write'],
    roles: ['service-role'],
  })) as string;
  await t.store.clients.update(CLIENT_ID, {
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
  });
  const user = await t.store.users.create({
    id: 'usr_alice0000000000000000',
    username: 'alice',
    passwordHash: await hashPassword(PASSWORD),
    email: 'alice@example.com',
    name: 'Alice Example',
    roles: { [CLIENT_ID]: ['billing'], other: ['nope'], '*': ['staff'] },
    admin: false,
    disabled: false,
  });
  return { ...t, secret, user };
}

/** The cookies a browser would keep (paths ignored: the names do not collide in these tests). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  has(name: string): boolean {
    return this.#cookies.has(name);
  }
}

/** A request without following redirects, with and into the jar. */
export async function browse(
  jar: CookieJar,
  url: string,
  init: { method?: string; form?: Record<string, string> } = {},
): Promise<{ res: Response; text: string; location: string | null }> {
  const headers: Record<string, string> = { cookie: jar.header() };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const res = await fetch(url, {
    method: init.method ?? (body ? 'POST' : 'GET'),
    headers,
    body,
    redirect: 'manual',
  });
  jar.store(res);
  return { res, text: await res.text(), location: res.headers.get('location') };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(t: TestIssuer, params: Record<string, string>): string {
  const query = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email invoices:read',
    state: 'state-1',
    nonce: 'nonce-1',
    ...params,
  });
  // OpenID Connect parameters only with the openid scope.
  if (!query.get('scope')?.split(' ').includes('openid')) query.delete('nonce');
  return `${t.url}/authorize?${query}`;
}

/** Starts an authorization request; returns the login page's URL, HTML and CSRF token. */
export async function openLoginPage(t: TestIssuer, jar: CookieJar, params: Record<string, string>) {
  const start = await browse(jar, authorizeUrl(t, params));
  if (start.res.status !== 303 || start.location === null)
    throw new Error(`authorization did not redirect to the login page: ${start.res.status} ${start.text}`);
  const pageUrl = new URL(start.location, t.url).href;
  const page = await browse(jar, pageUrl);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
  return { pageUrl, page, csrf: csrf as string };
}

/** Posts the login form. */
export function submitLogin(
  jar: CookieJar,
  pageUrl: string,
  fields: { username: string; password: string; csrf?: string },
) {
  const form: Record<string, string> = { username: fields.username, password: fields.password };
  if (fields.csrf !== undefined) form.csrf = fields.csrf;
  return browse(jar, pageUrl, { form });
}

/** The whole browser part: authorize, log in, resume; returns the callback URL's parameters. */
export async function loginForCode(
  t: TestIssuer,
  jar: CookieJar,
  params: Record<string, string>,
  credentials = { username: 'alice', password: PASSWORD },
): Promise<URLSearchParams> {
  const { pageUrl, csrf } = await openLoginPage(t, jar, params);
  const posted = await submitLogin(jar, pageUrl, { ...credentials, csrf });
  if (posted.res.status !== 303 || posted.location === null)
    throw new Error(`login failed: ${posted.res.status} ${posted.text}`);
  return followToCallback(t, jar, posted.location, params.redirect_uri);
}

/** Follows redirects on the issuer until one leaves for the client's redirect URI. */
export async function followToCallback(
  t: TestIssuer,
  jar: CookieJar,
  location: string,
  redirectUri = REDIRECT_URI,
): Promise<URLSearchParams> {
  let next = new URL(location, t.url).href;
  for (let i = 0; i < 5; i++) {
    if (next.startsWith(redirectUri)) return new URL(next).searchParams;
    const r = await browse(jar, next);
    if (r.location === null) throw new Error(`no redirect from ${next}: ${r.res.status} ${r.text}`);
    next = new URL(r.location, t.url).href;
  }
  throw new Error('too many redirects');
}

export async function tokenRequest(t: LoginIssuer, params: Record<string, string>) {
  const res = await fetch(`${t.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(CLIENT_ID, t.secret),
    },
    body: new URLSearchParams(params),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Logs alice in and redeems the code: the token response. */
export async function loginAndRedeem(t: LoginIssuer, scope = 'openid profile email invoices:read') {
  const jar = new CookieJar();
  const { verifier, challenge } = pkcePair();
  const callback = await loginForCode(t, jar, {
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope,
  });
  const r = await tokenRequest(t, {
    grant_type: 'authorization_code',
    code: callback.get('code') as string,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  if (r.status !== 200) throw new Error(`code redemption failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { jar, tokens: r.body };
}

export { AUDIENCE };
