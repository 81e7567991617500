import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { createRateLimiter } from '../../lib/rate-limit.ts';
import type { Store, UserRecord } from '../../store/types.ts';
import { clientAddress } from '../protect/client-address.ts';
import { readUrlencodedForm } from '../protect/read-urlencoded-form.ts';
import type { RateOption } from '../protect/token-endpoint-guard.ts';
import { checkCsrfToken, createCsrfToken } from './login-csrf.ts';
import { pageHeaders, renderMessagePage } from './login-page.ts';
import type { SignInFlow, SignInRequest } from './sign-in-flow.ts';
import {
  createWebSessions,
  readCookie,
  serializeCookie,
  type WebArea,
  type WebSession,
  webCookie,
} from './web-session.ts';

// Signing in to one of the issuer's own web areas (the console, the account page): the sign-in
// flow's steps at /<area>/login (and /<area>/login/passkey), bound to a login cookie that holds a
// random nonce (the flow's key and the CSRF binding), then a server-side session in an HttpOnly,
// SameSite=Strict cookie.

const LOGIN_NONCE = /^[A-Za-z0-9_-]{22}$/;
const MAX_FORM_BYTES = 16 * 1024;

export interface WebSignInOptions {
  readonly area: WebArea;
  readonly store: Store;
  readonly issuerUrl: string;
  readonly flow: SignInFlow;
  readonly csrfKey: () => Promise<Buffer>;
  /** Login attempts per client address; null: unlimited. */
  readonly perAddress: RateOption | null;
  /** What the login page says the user signs in to, and the client id it is audited under. */
  readonly clientName: string;
  readonly clientId: string;
  /** Who may have a session here (and is asked for nothing else). */
  readonly admits: (user: UserRecord) => boolean;
  readonly now: () => number;
  readonly log: Logger;
}

export interface WebSignIn {
  readonly loginPath: string;
  /** Whether `path` is the area's login page or its passkey page. */
  owns(path: string): boolean;
  /** Answers the login pages. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  /** The session and its user, when the cookie names a live session of a user still admitted. */
  authenticated(req: IncomingMessage): Promise<{ session: WebSession; user: UserRecord } | undefined>;
  /** Ends the session: the Set-Cookie that clears its cookie. */
  logout(session: WebSession): Promise<string>;
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

function message(res: ServerResponse, status: number, title: string, text: string, extra = {}): void {
  res.writeHead(status, { ...pageHeaders(), ...extra }).end(renderMessagePage(title, text));
}

/**
 * The sign-in of a web area: every step's form is accepted only with the login cookie and its
 * CSRF token, throttled per address, and its lock-out is the users' one.
 *
 * @example
 * const web = createWebSignIn({ area: 'account', store, issuerUrl, flow, csrfKey, ... });
 * if (web.owns(path)) return web.handle(req, res, path);
 */
export function createWebSignIn(o: WebSignInOptions): WebSignIn {
  const loginPath = `/${o.area}/login`;
  const passkeyPath = `${loginPath}/passkey`;
  const sessions = createWebSessions(o.store, o.now, o.area);
  const sessionCookie = webCookie(o.issuerUrl, o.area);
  const loginCookie = webCookie(o.issuerUrl, o.area, '-login');
  const limiter = o.perAddress ? createRateLimiter(o.perAddress.rate, o.perAddress.burst) : null;
  const purpose = `${o.area}-login`;

  const request = async (req: IncomingMessage, nonce: string): Promise<SignInRequest> => ({
    key: `${o.area}:${nonce}`,
    action: loginPath,
    csrf: createCsrfToken(await o.csrfKey(), purpose, nonce),
    clientName: o.clientName,
    clientId: o.clientId,
    address: clientAddress(req),
    admits: o.admits,
  });

  async function authenticated(req: IncomingMessage) {
    const session = await sessions.find(readCookie(req, sessionCookie.name));
    if (session === undefined) return undefined;
    const user = await o.store.users.get(session.userId);
    if (user === undefined || user.disabled || !o.admits(user)) {
      await sessions.destroy(session);
      return undefined;
    }
    return { session, user };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      if ((await authenticated(req)) !== undefined) return redirect(res, `/${o.area}`);
      // A sign-in under way keeps its nonce (a reload shows its current step); else a new one.
      const given = readCookie(req, loginCookie.name);
      const nonce =
        given !== undefined && LOGIN_NONCE.test(given) ? given : randomBytes(16).toString('base64url');
      const r = await request(req, nonce);
      const answer = path === passkeyPath ? await o.flow.showPasskey(r) : await o.flow.show(r);
      if (answer.kind !== 'page') return redirect(res, loginPath);
      res
        .writeHead(answer.status, { ...answer.headers, 'set-cookie': serializeCookie(loginCookie, nonce) })
        .end(answer.html);
      return;
    }
    if (method !== 'POST' || path !== loginPath) {
      res
        .writeHead(405, { allow: path === loginPath ? 'GET, POST' : 'GET', 'cache-control': 'no-store' })
        .end();
      return;
    }
    const address = clientAddress(req);
    const wait = limiter?.take(address, o.now()) ?? 0;
    if (wait > 0) {
      o.log.warn({ address }, 'login attempts throttled');
      return message(res, 429, 'Too many attempts', 'Too many sign-in attempts. Try again later.', {
        'retry-after': String(wait),
      });
    }
    const read = await readUrlencodedForm(req, MAX_FORM_BYTES);
    if (!read.ok)
      return message(res, read.status, 'Bad request', 'The form could not be read.', { connection: 'close' });
    const form = read.form;
    const nonce = readCookie(req, loginCookie.name);
    if (
      nonce === undefined ||
      !LOGIN_NONCE.test(nonce) ||
      !checkCsrfToken(await o.csrfKey(), purpose, nonce, form.get('csrf'))
    ) {
      o.log.warn({ address }, 'login form refused: bad CSRF token');
      return message(
        res,
        403,
        'Form refused',
        'This form was not sent by this sign-in page, or it has expired. Reload the page and try again.',
      );
    }
    const r = await request(req, nonce);
    if (form.get('action') === 'cancel') {
      await o.flow.end(r.key);
      return redirect(res, loginPath, [serializeCookie(loginCookie, null)]);
    }
    const answer = await o.flow.submit(r, form);
    if (answer.kind === 'page') {
      res
        .writeHead(answer.status, { ...answer.headers, 'set-cookie': serializeCookie(loginCookie, nonce) })
        .end(answer.html);
      return;
    }
    const { id } = await sessions.create(answer.user.id);
    o.log.info({ sub: answer.user.id, amr: answer.amr }, `${o.area} sign-in succeeded`);
    return redirect(res, `/${o.area}`, [
      serializeCookie(sessionCookie, id),
      serializeCookie(loginCookie, null),
    ]);
  }

  return {
    loginPath,
    owns: (path) => path === loginPath || path === passkeyPath,
    handle,
    authenticated,
    async logout(session) {
      await sessions.destroy(session);
      return serializeCookie(sessionCookie, null);
    },
  };
}
