// Shared pieces of the console tests: an issuer with an administrator and a plain user, and a
// small browser (cookie jar, forms with the page's CSRF token) over real HTTP.
import { addUser } from '../../../src/issuer/admin/manage-users.ts';
import type { IssuerOptionsInput } from '../../../src/issuer/issuer-options.ts';
import { startTestIssuer, type TestIssuer } from '../helpers.ts';

export const ADMIN = { username: 'root-admin', password: 'console admin password 1' };
export const PLAIN = { username: 'bob', password: 'plain user password 22' };

export interface ConsoleIssuer extends TestIssuer {
  readonly adminId: string;
  readonly plainId: string;
}

/** An issuer with an administrator and a non-admin user (both with passwords). */
export async function startConsoleIssuer(
  overrides: IssuerOptionsInput = {},
  deps: { now?: () => number } = {},
): Promise<ConsoleIssuer> {
  const t = await startTestIssuer(
    {
      login: { lockout: { maxFailures: 5, lockMs: 60_000 }, perAddress: { rate: 100, burst: 1000 } },
      ...overrides,
    },
    deps,
  );
  const admin = await addUser(t.store, { ...ADMIN, admin: true }, 'test');
  const plain = await addUser(t.store, { ...PLAIN, roles: { webapp: ['reader'] } }, 'test');
  return { ...t, adminId: admin.user.id, plainId: plain.user.id };
}

export interface Page {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly location: string | null;
}

/** A browser without script: keeps cookies, never follows redirects by itself. */
export class ConsoleBrowser {
  readonly cookies = new Map<string, string>();
  readonly setCookies: string[] = [];

  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  async request(
    path: string,
    init: {
      form?: Record<string, string | string[]>;
      method?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Page> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const one of [v].flat()) params.append(k, one);
      body = params.toString();
    }
    const res = await fetch(new URL(path, this.base), {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: res.status,
      headers: res.headers,
      text: await res.text(),
      location: res.headers.get('location'),
    };
  }

  get(path: string): Promise<Page> {
    return this.request(path);
  }

  /** GETs `page`, then posts `form` to `action` with the CSRF token found on the page. */
  async submit(pagePath: string, action: string, form: Record<string, string | string[]>): Promise<Page> {
    const shown = await this.get(pagePath);
    return this.request(action, { form: { csrf: csrfOf(shown.text), ...form } });
  }

  async signIn(credentials: { username: string; password: string }): Promise<Page> {
    return this.submit('/console/login', '/console/login', { ...credentials, action: 'login' });
  }
}

export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (m === null) throw new Error('no CSRF token on the page');
  return m[1] as string;
}

/** A signed-in administrator's browser. */
export async function adminBrowser(t: TestIssuer): Promise<ConsoleBrowser> {
  const b = new ConsoleBrowser(t.url);
  const r = await b.signIn(ADMIN);
  if (r.status !== 303 || r.location !== '/console')
    throw new Error(`admin sign-in failed: ${r.status} ${r.text}`);
  return b;
}

/** The value of a read-only input shown once (client secret, generated password). */
export function shownValue(html: string, id: string): string {
  const m = new RegExp(`id="${id}" type="text" readonly value="([^"]+)"`).exec(html);
  if (m === null) throw new Error(`no ${id} on the page`);
  return m[1] as string;
}
