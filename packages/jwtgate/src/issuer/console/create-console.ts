import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRateLimiter } from '../../lib/rate-limit.ts';
import { isStoreUnavailable } from '../../store/store-unavailable.ts';
import type { UserRecord } from '../../store/types.ts';
import { recordAudit } from '../audit.ts';
import { authenticateUser } from '../login/authenticate-user.ts';
import { INVALID_LOGIN } from '../login/interaction-handler.ts';
import { loadIssuerSecrets } from '../login/issuer-secret.ts';
import { checkCsrfToken, createCsrfToken } from '../login/login-csrf.ts';
import { pageHeaders, renderLoginPage, renderMessagePage } from '../login/login-page.ts';
import {
  createWebSessions,
  readCookie,
  serializeCookie,
  type WebSession,
  webCookie,
} from '../login/web-session.ts';
import { clientAddress } from '../protect/client-address.ts';
import { readUrlencodedForm } from '../protect/read-urlencoded-form.ts';
import { activitySection } from './activity-section.ts';
import { clientsSection } from './clients-section.ts';
import type { ConsoleAnswer, ConsoleDeps, ConsoleRequest, ConsoleSection } from './console-context.ts';
import {
  CONSOLE_CSS,
  CSS_PATH,
  CSS_VERSION,
  consoleHeaders,
  esc,
  renderConsolePage,
} from './console-page.ts';
import { debuggerSection } from './debugger-section.ts';
import { keysSection } from './keys-section.ts';
import { revocationsSection } from './revocations-section.ts';
import { usersSection } from './users-section.ts';

/** The console's forms are small: a pasted token is the largest field. */
const MAX_FORM_BYTES = 16 * 1024;

export type { ConsoleDeps } from './console-context.ts';

/** The client id the console's logins are audited under. */
export const CONSOLE_CLIENT_ID = 'jwtgate-console';
const LOGIN_PATH = '/console/login';
const SESSION_CSRF = 'console';
const LOGIN_CSRF = 'console-login';
const LOGIN_NONCE = /^[A-Za-z0-9_-]{22}$/;

const SECTIONS: Readonly<Record<string, ConsoleSection>> = {
  '': activitySection,
  activity: activitySection,
  clients: clientsSection,
  users: usersSection,
  keys: keysSection,
  revocations: revocationsSection,
  debugger: debuggerSection,
};

const TITLES: Readonly<Record<number, [string, string]>> = {
  400: ['Bad request', 'The form could not be read.'],
  403: [
    'Form refused',
    'This form was not sent by this console page, or your session changed. Reload the page and try again.',
  ],
  404: ['Not found', 'There is no such console page.'],
  405: ['Method not allowed', 'This page does not accept that method.'],
  413: ['Form too large', 'The form is larger than 16 KiB.'],
  415: ['Unsupported form', 'Forms are accepted URL-encoded only.'],
  429: ['Too many attempts', 'Too many sign-in attempts. Try again later.'],
  500: ['Something went wrong', 'The request failed on the server; it has been logged.'],
  503: ['Store unavailable', 'The store is unreachable; retry shortly.'],
};

function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string | string[]>,
): void {
  res.writeHead(status, headers).end(html);
}

/** A page with a message, before sign-in (the login page's frame and headers). */
function bare(res: ServerResponse, status: number, extra: Record<string, string> = {}): void {
  const [title, message] = TITLES[status] ?? ['Error', 'The request failed.'];
  sendHtml(res, status, renderMessagePage(title, message), { ...pageHeaders(), ...extra });
}

/**
 * The web console under /console: administrators (users with `admin: true`) sign in with the
 * OAuth login's page, password check, throttle and lock-out; a server-side session (in the store,
 * so every replica shares it) is kept in an HttpOnly SameSite=Strict cookie, with a 30-minute idle
 * and an 8-hour absolute timeout. Every POST carries a CSRF token bound to the session, every
 * request re-reads the user (still an enabled admin?), and every page is served with a CSP that
 * allows no script.
 *
 * @example
 * const console = createConsole({ store, issuerUrl, login: options.login, ... });
 * if (path === '/console' || path.startsWith('/console/')) return console(req, res, url);
 */
export function createConsole(
  deps: ConsoleDeps,
): (req: IncomingMessage, res: ServerResponse, url: string) => Promise<void> {
  const { store, now, log } = deps;
  const sessions = createWebSessions(store, now, 'console');
  const sessionCookie = webCookie(deps.issuerUrl, 'console');
  const loginCookie = webCookie(deps.issuerUrl, 'console', '-login');
  const limiter = deps.login.perAddress
    ? createRateLimiter(deps.login.perAddress.rate, deps.login.perAddress.burst)
    : null;
  let secrets: ReturnType<typeof loadIssuerSecrets> | null = null;
  const csrfKey = async () => {
    secrets ??= loadIssuerSecrets(store);
    try {
      return (await secrets).csrfKey;
    } catch (err) {
      secrets = null;
      throw err;
    }
  };

  async function showLogin(
    res: ServerResponse,
    status: number,
    nonce: string,
    extra: { username?: string; error?: string } = {},
  ) {
    const html = renderLoginPage({
      action: LOGIN_PATH,
      csrf: createCsrfToken(await csrfKey(), LOGIN_CSRF, nonce),
      clientName: 'the jwtgate console',
      ...extra,
    });
    sendHtml(res, status, html, { ...pageHeaders(), 'set-cookie': serializeCookie(loginCookie, nonce) });
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      const current = await authenticated(req);
      if (current !== undefined) return redirect(res, '/console');
      return showLogin(res, 200, randomBytes(16).toString('base64url'));
    }
    if (method !== 'POST') return bare(res, 405, { allow: 'GET, POST' });
    const address = clientAddress(req);
    const wait = limiter?.take(address, now()) ?? 0;
    if (wait > 0) {
      log.warn({ address }, 'console login attempts throttled');
      return bare(res, 429, { 'retry-after': String(wait) });
    }
    const read = await readUrlencodedForm(req, MAX_FORM_BYTES);
    if (!read.ok) return bare(res, read.status, { connection: 'close' });
    const form = read.form;
    const nonce = readCookie(req, loginCookie.name);
    if (
      nonce === undefined ||
      !LOGIN_NONCE.test(nonce) ||
      !checkCsrfToken(await csrfKey(), LOGIN_CSRF, nonce, form.get('csrf'))
    ) {
      log.warn({ address }, 'console login form refused: bad CSRF token');
      return bare(res, 403);
    }
    if (form.get('action') === 'cancel') return redirect(res, LOGIN_PATH);
    const username = (form.get('username') ?? '').slice(0, 256);
    const outcome = await authenticateUser(
      { store, lockout: deps.login.lockout, now, onError: (err) => log.error({ err }, 'audit failed') },
      { username, password: form.get('password') ?? '', address, clientId: CONSOLE_CLIENT_ID },
    );
    if (!outcome.ok || !outcome.user.admin) {
      if (outcome.ok) {
        // The password was right but the console is for administrators: the same answer as a wrong one.
        await recordAudit(
          store,
          {
            type: 'login.failed',
            actor: outcome.user.id,
            subject: outcome.user.id,
            detail: { address, client_id: CONSOLE_CLIENT_ID, reason: 'not_admin' },
          },
          (err) => log.error({ err }, 'audit failed'),
        );
      }
      log.info({ address, reason: outcome.ok ? 'not_admin' : outcome.reason }, 'console login failed');
      return showLogin(res, 400, nonce, { username, error: INVALID_LOGIN });
    }
    const { id } = await sessions.create(outcome.user.id);
    log.info({ sub: outcome.user.id }, 'console login succeeded');
    return redirect(res, '/console', [
      serializeCookie(sessionCookie, id),
      serializeCookie(loginCookie, null),
    ]);
  }

  /** The session and its user, when the cookie names a live session of an enabled administrator. */
  async function authenticated(
    req: IncomingMessage,
  ): Promise<{ session: WebSession; user: UserRecord } | undefined> {
    const session = await sessions.find(readCookie(req, sessionCookie.name));
    if (session === undefined) return undefined;
    const user = await store.users.get(session.userId);
    if (user === undefined || !user.admin || user.disabled) {
      await sessions.destroy(session);
      return undefined;
    }
    return { session, user };
  }

  function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
    res
      .writeHead(303, {
        location,
        'cache-control': 'no-store',
        ...(cookies.length ? { 'set-cookie': cookies } : {}),
      })
      .end();
  }

  function serveCss(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      bare(res, 405, { allow: 'GET, HEAD' });
      return;
    }
    const etag = `"${CSS_VERSION}"`;
    const headers = {
      'content-type': 'text/css; charset=utf-8',
      'x-content-type-options': 'nosniff',
      etag,
      // The pages link it with ?v=<hash>: that URL never changes content.
      'cache-control':
        url.searchParams.get('v') === CSS_VERSION
          ? 'public, max-age=31536000, immutable'
          : 'public, max-age=3600',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : CONSOLE_CSS);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, rawUrl: string): Promise<void> {
    const url = new URL(rawUrl, 'http://console.invalid');
    const path = url.pathname;
    if (path === CSS_PATH) return serveCss(req, res, url);
    if (path === LOGIN_PATH) return login(req, res);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') return bare(res, 405, { allow: 'GET, POST' });
    const current = await authenticated(req);
    if (current === undefined) return redirect(res, LOGIN_PATH);
    const { session, user } = current;
    const csrf = createCsrfToken(await csrfKey(), SESSION_CSRF, session.key);
    let form = new URLSearchParams();
    if (method === 'POST') {
      const read = await readUrlencodedForm(req, MAX_FORM_BYTES);
      if (!read.ok) return bare(res, read.status, { connection: 'close' });
      if (!checkCsrfToken(await csrfKey(), SESSION_CSRF, session.key, read.form.get('csrf'))) {
        log.warn({ sub: user.id, path }, 'console form refused: bad CSRF token');
        return bare(res, 403);
      }
      form = read.form;
    }
    if (path === '/console/logout') {
      if (method !== 'POST') return bare(res, 405, { allow: 'POST' });
      await sessions.destroy(session);
      log.info({ sub: user.id }, 'console logout');
      return redirect(res, LOGIN_PATH, [serializeCookie(sessionCookie, null)]);
    }
    let parts: string[];
    try {
      parts = path.split('/').slice(2).map(decodeURIComponent);
    } catch {
      parts = ['\0'];
    }
    if (parts.length === 1 && parts[0] === '') parts = [];
    const [name = '', ...rest] = parts;
    const section = Object.hasOwn(SECTIONS, name) ? SECTIONS[name] : undefined;
    const request: ConsoleRequest = {
      deps,
      method,
      url,
      form,
      user,
      actor: `console:${user.username}`,
      csrf,
    };
    const answer: ConsoleAnswer =
      section === undefined || (name === '' && path !== '/console' && path !== '/console/')
        ? { kind: 'not-found' }
        : await section(request, rest);
    const frame = { username: user.username, csrf };
    switch (answer.kind) {
      case 'redirect':
        return redirect(res, answer.location);
      case 'page':
        return sendHtml(res, answer.status ?? 200, renderConsolePage(frame, answer.page), consoleHeaders());
      case 'method':
      case 'not-found': {
        const status = answer.kind === 'method' ? 405 : 404;
        const [title, message] = TITLES[status] as [string, string];
        const html = renderConsolePage(frame, { title, section: null, body: `<p>${esc(message)}</p>` });
        return sendHtml(
          res,
          status,
          html,
          consoleHeaders(answer.kind === 'method' ? { allow: answer.allow } : {}),
        );
      }
    }
  }

  return async function handleConsole(req, res, url) {
    try {
      await handle(req, res, url);
    } catch (err) {
      // Never a stack trace in the page: the cause goes to the log only.
      const unavailable = isStoreUnavailable(err);
      if (unavailable) log.warn({ error: (err as Error).message }, 'store unreachable');
      else log.error({ err }, 'console request failed');
      if (res.headersSent) res.destroy();
      else bare(res, unavailable ? 503 : 500, unavailable ? { 'retry-after': '1' } : {});
    }
  };
}
