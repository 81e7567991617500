import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Store } from '../../store/types.ts';

// Server-side sessions of the issuer's own web pages (the console, the account page): kept in the
// store's oidc payload table, so every replica sees them (no migration), each area under its own
// model and cookie.

/** The web areas with sessions: the store model and the cookie of each. */
export type WebArea = 'console' | 'account';
const MODELS: Readonly<Record<WebArea, string>> = { console: 'ConsoleSession', account: 'AccountSession' };
/** A session ends after 30 minutes without a request (OWASP ASVS 3.3.1) ... */
export const IDLE_TIMEOUT_MS = 30 * 60_000;
/** ... and 8 hours after sign-in, whatever the activity. */
export const ABSOLUTE_TIMEOUT_MS = 8 * 3600_000;
/** lastSeen is written at most this often: not one store write per page view. */
const TOUCH_EVERY_MS = 60_000;

export interface WebSession {
  /** sha256 of the cookie value: the store key and the CSRF binding; the id itself is never stored. */
  readonly key: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

export interface WebCookie {
  readonly name: string;
  /** `__Host-` cookies must have Path=/ (RFC 6265bis 4.1.3.2); the plain one is kept to its area's path. */
  readonly path: string;
  readonly secure: boolean;
}

/** `__Host-jwtgate-<area>` (Secure, Path=/) behind https; `jwtgate-<area>` (Path=/<area>) on http. */
export function webCookie(issuerUrl: string, area: WebArea, suffix = ''): WebCookie {
  const secure = issuerUrl.startsWith('https:');
  return secure
    ? { name: `__Host-jwtgate-${area}${suffix}`, path: '/', secure }
    : { name: `jwtgate-${area}${suffix}`, path: `/${area}`, secure };
}

/** The Set-Cookie value: HttpOnly, SameSite=Strict; `value` null expires it. */
export function serializeCookie(cookie: WebCookie, value: string | null, maxAgeSeconds?: number): string {
  const parts = [`${cookie.name}=${value ?? ''}`, `Path=${cookie.path}`, 'HttpOnly', 'SameSite=Strict'];
  if (cookie.secure) parts.push('Secure');
  if (value === null) parts.push('Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  else if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  return parts.join('; ');
}

/** The value of cookie `name` in the request, or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export const hashSessionId = (id: string): string => createHash('sha256').update(id).digest('base64url');

export interface WebSessions {
  /** A new session for `userId`: the cookie value (32 random bytes) and the stored session. */
  create(userId: string): Promise<{ id: string; session: WebSession }>;
  /** The live session of a cookie value (and its idle timer restarted), or undefined. */
  find(id: string | undefined): Promise<WebSession | undefined>;
  destroy(session: WebSession): Promise<void>;
}

/**
 * The server-side sessions of one web area. Each one expires in the store at the earlier of its idle and
 * its absolute deadline; both are also checked on read, so a store that keeps an entry a little
 * longer changes nothing.
 *
 * @example
 * const sessions = createWebSessions(store, Date.now, 'console');
 * const { id } = await sessions.create(user.id);
 */
export function createWebSessions(store: Store, now: () => number, area: WebArea): WebSessions {
  const MODEL = MODELS[area];
  const ttlSeconds = (s: WebSession) => {
    const deadline = Math.min(s.lastSeenAt + IDLE_TIMEOUT_MS, s.createdAt + ABSOLUTE_TIMEOUT_MS);
    return Math.max(1, Math.ceil((deadline - now()) / 1000));
  };
  const save = (s: WebSession) =>
    store.oidc.upsert(
      MODEL,
      s.key,
      { userId: s.userId, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt },
      ttlSeconds(s),
    );
  return {
    async create(userId) {
      const id = randomBytes(32).toString('base64url');
      const at = now();
      const session = { key: hashSessionId(id), userId, createdAt: at, lastSeenAt: at };
      await save(session);
      return { id, session };
    },
    async find(id) {
      if (id === undefined || !SESSION_ID.test(id)) return undefined;
      const key = hashSessionId(id);
      const stored = await store.oidc.find(MODEL, key);
      if (stored === undefined) return undefined;
      const { userId, createdAt, lastSeenAt } = stored;
      if (typeof userId !== 'string' || typeof createdAt !== 'number' || typeof lastSeenAt !== 'number')
        return undefined;
      const at = now();
      if (at - lastSeenAt >= IDLE_TIMEOUT_MS || at - createdAt >= ABSOLUTE_TIMEOUT_MS) {
        await store.oidc.destroy(MODEL, key);
        return undefined;
      }
      const session = { key, userId, createdAt, lastSeenAt };
      if (at - lastSeenAt < TOUCH_EVERY_MS) return session;
      const touched = { ...session, lastSeenAt: at };
      await save(touched);
      return touched;
    },
    async destroy(session) {
      await store.oidc.destroy(MODEL, session.key);
    },
  };
}
