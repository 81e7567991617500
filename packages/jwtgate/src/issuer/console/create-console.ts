import type { IncomingMessage, ServerResponse } from 'node:http';
import { isStoreUnavailable } from '../../store/store-unavailable.ts';
import { loadIssuerSecrets } from '../login/issuer-secret.ts';
import { checkCsrfToken, createCsrfToken } from '../login/login-csrf.ts';
import { pageHeaders, renderMessagePage } from '../login/login-page.ts';
import { createWebSignIn } from '../login/web-sign-in.ts';
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
const SESSION_CSRF = 'console';

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
  const web = createWebSignIn({
    area: 'console',
    store,
    issuerUrl: deps.issuerUrl,
    flow: deps.signIn,
    csrfKey,
    perAddress: deps.login.perAddress,
    clientName: 'the jwtgate console',
    clientId: CONSOLE_CLIENT_ID,
    admits: (user) => user.admin,
    now,
    log,
  });

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
    if (web.owns(path)) return web.handle(req, res, path);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') return bare(res, 405, { allow: 'GET, POST' });
    const current = await web.authenticated(req);
    if (current === undefined) return redirect(res, web.loginPath);
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
      const cleared = await web.logout(session);
      log.info({ sub: user.id }, 'console logout');
      return redirect(res, web.loginPath, [cleared]);
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
