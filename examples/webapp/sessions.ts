// Server-side sessions of the sample web app: kept in memory, found by a random id in an HttpOnly,
// SameSite=Lax cookie. The browser never holds a token; it only holds this id.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The tokens of a signed-in session, as the issuer answered them. */
export interface SessionTokens {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  readonly idToken: string | undefined;
  /** Epoch milliseconds at which the access token expires. */
  readonly expiresAt: number;
}

/** Who is signed in: the ID token's subject, and the profile shown on the home page. */
export interface SessionUser {
  readonly sub: string;
  readonly name: string | undefined;
  readonly email: string | undefined;
}

/** A notice shown once on the next page (the answer of an action, after its redirect). */
export interface Flash {
  readonly kind: 'info' | 'error';
  readonly title: string;
  readonly lines: readonly string[];
  /** A response body to show as text (the gateway's answer). */
  readonly body?: string;
}

export interface Session {
  id: string;
  /** Sent back in every form of this session: a cross-site POST cannot know it. */
  csrf: string;
  lastSeen: number;
  /** An authorization request on its way: what the callback must find again (RFC 9700 2.1). */
  pending?: { readonly state: string; readonly nonce: string; readonly codeVerifier: string };
  user?: SessionUser;
  tokens?: SessionTokens;
  flash?: Flash;
  /** A refresh in flight: concurrent requests wait for it instead of spending the token twice. */
  refreshing?: Promise<void>;
}

export interface SessionOptions {
  readonly cookieName: string;
  /** Add `Secure` (the app is served over https). */
  readonly secure: boolean;
  /** A session unused this long is forgotten. */
  readonly idleMs: number;
  /** At most this many sessions; the least recently used go first (anonymous visitors create them too). */
  readonly maxSessions: number;
}

const newId = () => randomBytes(32).toString('base64url');

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * An in-memory session store. One process only: sessions are lost on restart, which for a sample
 * app is a feature (nothing to clean up). A real deployment keeps them in a shared store.
 *
 * @example
 * const sessions = createSessions({ cookieName: 'webapp_session', secure: false, idleMs: 8 * 3600_000, maxSessions: 10_000 });
 * const session = sessions.find(req) ?? sessions.start(res);
 */
export function createSessions(options: SessionOptions) {
  // A Map keeps insertion order: re-inserting on use makes the first entry the least recently used.
  const all = new Map<string, Session>();

  const setCookie = (res: ServerResponse, value: string, maxAge: number) => {
    const attributes = [
      `${options.cookieName}=${value}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      `Max-Age=${maxAge}`,
      ...(options.secure ? ['Secure'] : []),
    ];
    res.appendHeader('set-cookie', attributes.join('; '));
  };

  const sweep = setInterval(() => {
    const oldest = Date.now() - options.idleMs;
    for (const [id, s] of all) if (s.lastSeen < oldest) all.delete(id);
  }, 60_000);
  sweep.unref();

  return {
    /** The session of this request, if its cookie names a live one. */
    find(req: IncomingMessage): Session | undefined {
      const id = readCookie(req, options.cookieName);
      const session = id === undefined ? undefined : all.get(id);
      if (session === undefined) return undefined;
      if (session.lastSeen < Date.now() - options.idleMs) {
        all.delete(session.id);
        return undefined;
      }
      session.lastSeen = Date.now();
      all.delete(session.id);
      all.set(session.id, session);
      return session;
    },

    /** A new, empty session, with its cookie set on the response. */
    start(res: ServerResponse): Session {
      while (all.size >= options.maxSessions) {
        const first = all.keys().next().value;
        if (first === undefined) break;
        all.delete(first);
      }
      const session: Session = { id: newId(), csrf: newId(), lastSeen: Date.now() };
      all.set(session.id, session);
      setCookie(res, session.id, Math.floor(options.idleMs / 1000));
      return session;
    },

    /** New id and CSRF token (at sign-in: an id known before it is useless after, no fixation). */
    renew(session: Session, res: ServerResponse): void {
      all.delete(session.id);
      session.id = newId();
      session.csrf = newId();
      all.set(session.id, session);
      setCookie(res, session.id, Math.floor(options.idleMs / 1000));
    },

    /** Forgets the session and expires its cookie. */
    end(session: Session, res: ServerResponse): void {
      all.delete(session.id);
      setCookie(res, '', 0);
    },

    close(): void {
      clearInterval(sweep);
      all.clear();
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
