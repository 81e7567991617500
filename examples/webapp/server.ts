// A sample web app that signs users in at the jwtgate issuer (authorization code flow with PKCE,
// a confidential client) and calls services behind the jwtgate gateway with the user's access
// token. Tokens stay on the server, in a session found by an HttpOnly cookie.
//   ISSUER_URL=http://127.0.0.1:8080 CLIENT_ID=webapp CLIENT_SECRET=... GATEWAY_URL=http://127.0.0.1:9001 \
//     npm run example:webapp      (README.md: the whole session, issuer and gateway included)
// Environment: ISSUER_URL, CLIENT_ID (webapp), CLIENT_SECRET, PORT (3000), HOST (127.0.0.1),
// REDIRECT_URI (http://<host>:<port>/callback), POST_LOGOUT_REDIRECT_URI (.../signed-out),
// GATEWAY_URL (http://127.0.0.1:9001), SCOPE (openid profile email).
// WEBAPP_DEBUG_TOKENS=1 adds GET /debug/tokens (the session's tokens as JSON): for tests only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import { createOidcClient, describeOAuthError, isLoopbackHttp } from './oidc-client.ts';
import { pageHeaders, renderHome, renderMessage } from './pages.ts';
import { createSessions, type Flash, type Session } from './sessions.ts';

const env = process.env;

function required(name: string): string {
  const value = env[name];
  if (!value) {
    process.stderr.write(`webapp: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

function url(name: string, value: string): URL {
  const parsed = URL.parse(value);
  if (parsed === null || !(parsed.protocol === 'https:' || isLoopbackHttp(parsed))) {
    process.stderr.write(`webapp: ${name} must be an https URL (or http to this machine), got ${value}\n`);
    process.exit(2);
  }
  return parsed;
}

const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? '127.0.0.1';
const self = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
const redirectUri = url('REDIRECT_URI', env.REDIRECT_URI ?? `${self}/callback`);
const gatewayUrl = url('GATEWAY_URL', env.GATEWAY_URL ?? 'http://127.0.0.1:9001').href.replace(/\/$/, '');
const debugTokens = env.WEBAPP_DEBUG_TOKENS === '1';

const oidc = await createOidcClient({
  issuerUrl: url('ISSUER_URL', required('ISSUER_URL')),
  clientId: env.CLIENT_ID ?? 'webapp',
  clientSecret: required('CLIENT_SECRET'),
  redirectUri,
  postLogoutRedirectUri: url(
    'POST_LOGOUT_REDIRECT_URI',
    env.POST_LOGOUT_REDIRECT_URI ?? new URL('/signed-out', redirectUri).href,
  ),
  scope: env.SCOPE ?? 'openid profile email',
}).catch((err: unknown) => {
  // Without the issuer's metadata nothing works: say so and stop.
  process.stderr.write(`webapp: discovery at ${env.ISSUER_URL} failed: ${(err as Error).message}\n`);
  process.exit(1);
});

const sessions = createSessions({
  // __Host-: only this origin, only over https, path / (RFC 6265bis 4.1.3.2).
  cookieName: redirectUri.protocol === 'https:' ? '__Host-webapp_session' : 'webapp_session',
  secure: redirectUri.protocol === 'https:',
  idleMs: 8 * 3600_000,
  maxSessions: 10_000,
});

const MAX_FORM_BYTES = 4096;
const MAX_SHOWN_BODY = 4000;
/** Refresh a little before expiry, so a token is not sent just as it ends. */
const EXPIRY_MARGIN_MS = 10_000;

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, pageHeaders(oidc.issuerOrigin)).end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store' }).end();
}

function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
    return Promise.resolve(null);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        resolve(null);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', () => resolve(null));
  });
}

/** The access token's claims, for display and its id only: the gateway is what checks them. */
function accessClaims(session: Session): { roles: string[]; jti: string } {
  let claims: Record<string, unknown> = {};
  try {
    if (session.tokens) claims = decodeJwt(session.tokens.accessToken);
  } catch {
    // not a JWT: nothing to show
  }
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r) => typeof r === 'string') : [];
  return { roles, jti: typeof claims.jti === 'string' ? claims.jti : '-' };
}

function showHome(res: ServerResponse, session: Session | undefined, notice?: Flash): void {
  const flash = notice ?? session?.flash;
  if (session) delete session.flash;
  const user = session?.user;
  const tokens = session?.tokens;
  if (session === undefined || user === undefined || tokens === undefined) {
    html(res, 200, renderHome(flash ? { flash } : {}));
    return;
  }
  const { roles, jti } = accessClaims(session);
  html(
    res,
    200,
    renderHome({
      ...(flash ? { flash } : {}),
      csrf: session.csrf,
      user: { ...user, roles, tokenId: jti, expiresAt: tokens.expiresAt },
    }),
  );
}

/** Signs the session out locally (its tokens are forgotten), keeping it for the notice. */
function forget(session: Session): void {
  delete session.user;
  delete session.tokens;
}

/**
 * Refreshes the session's tokens, one refresh at a time: two concurrent refreshes would present
 * the same refresh token twice, which the issuer treats as theft (reuse revokes the grant).
 */
async function refreshSession(session: Session): Promise<void> {
  session.refreshing ??= (async () => {
    if (session.tokens === undefined) throw new Error('not signed in');
    session.tokens = await oidc.refresh(session.tokens);
  })().finally(() => {
    delete session.refreshing;
  });
  await session.refreshing;
}

/** A refresh the issuer refused (invalid_grant: revoked, expired, reused) ends the sign-in here too. */
function refreshFailed(session: Session, err: unknown): Flash {
  const reason = describeOAuthError(err);
  if (reason.startsWith('invalid_grant')) {
    forget(session);
    return {
      kind: 'error',
      title: 'Your sign-in has ended',
      lines: [`The issuer refused to refresh the tokens (${reason}). Sign in again.`],
    };
  }
  return { kind: 'error', title: 'Refresh failed', lines: [reason] };
}

async function callGateway(session: Session, path: string): Promise<Flash> {
  if (session.tokens && session.tokens.expiresAt - EXPIRY_MARGIN_MS < Date.now()) {
    try {
      await refreshSession(session);
    } catch (err) {
      return refreshFailed(session, err);
    }
  }
  const tokens = session.tokens;
  if (tokens === undefined) return { kind: 'error', title: 'Not signed in', lines: [] };
  const target = `${gatewayUrl}${path}`;
  try {
    const r = await fetch(target, {
      headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
      redirect: 'manual',
    });
    const text = await r.text();
    return {
      kind: r.ok ? 'info' : 'error',
      title: `GET ${path}: ${r.status}`,
      lines: [`The gateway answered ${r.status} ${r.statusText}.`],
      body: text.length > MAX_SHOWN_BODY ? `${text.slice(0, MAX_SHOWN_BODY)}...` : text,
    };
  } catch (err) {
    return { kind: 'error', title: `GET ${path}: no answer`, lines: [(err as Error).message] };
  }
}

const CALLS: Record<string, string> = { '/call/billing': '/billing/invoices', '/call/admin': '/admin/users' };

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestUrl = new URL(req.url ?? '/', self);
  const path = requestUrl.pathname;
  const method = req.method ?? 'GET';
  const session = sessions.find(req);

  if (method === 'GET') {
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (path === '/') return showHome(res, session);
    if (path === '/signed-out') {
      if (session?.user) return showHome(res, session);
      return showHome(res, undefined, { kind: 'info', title: 'Signed out', lines: ['You are signed out.'] });
    }
    if (path === '/login') {
      const s = session ?? sessions.start(res);
      const { url: target, pending } = await oidc.startLogin();
      s.pending = pending;
      return redirect(res, target.href);
    }
    if (path === redirectUri.pathname) {
      const pending = session?.pending;
      if (session === undefined || pending === undefined)
        return html(
          res,
          400,
          renderMessage('Sign-in failed', 'This sign-in was not started here, or already finished.'),
        );
      delete session.pending;
      try {
        const { tokens, user } = await oidc.finishLogin(requestUrl.searchParams, pending);
        sessions.renew(session, res);
        session.tokens = tokens;
        session.user = user;
      } catch (err) {
        session.flash = { kind: 'error', title: 'Sign-in failed', lines: [describeOAuthError(err)] };
      }
      return redirect(res, '/');
    }
    if (path === '/debug/tokens' && debugTokens) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify(session?.tokens ?? null));
    }
    return html(res, 404, renderMessage('Not found', 'There is no such page.'));
  }

  if (method !== 'POST') return void res.writeHead(405, { allow: 'GET, POST' }).end();
  const form = await readForm(req);
  // The CSRF token of the session: SameSite=Lax already keeps the cookie off cross-site POSTs.
  if (session === undefined || form === null || form.get('csrf') !== session.csrf)
    return html(
      res,
      403,
      renderMessage('Refused', 'This form was not sent by this page. Go back and retry.'),
    );

  const call = CALLS[path];
  if (call !== undefined) {
    session.flash = await callGateway(session, call);
    return redirect(res, '/');
  }
  if (path === '/refresh') {
    try {
      const before = accessClaims(session).jti;
      await refreshSession(session);
      session.flash = {
        kind: 'info',
        title: 'Tokens refreshed',
        lines: [
          `New access token ${accessClaims(session).jti} (was ${before}); the refresh token was rotated.`,
        ],
      };
    } catch (err) {
      session.flash = refreshFailed(session, err);
    }
    return redirect(res, '/');
  }
  if (path === '/logout') {
    const target = oidc.logoutUrl(session.tokens?.idToken);
    sessions.end(session, res);
    return redirect(res, target.href);
  }
  return html(res, 404, renderMessage('Not found', 'There is no such page.'));
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    process.stderr.write(
      `webapp: ${req.method} ${req.url?.split('?')[0]} failed: ${(err as Error).message}\n`,
    );
    if (!res.headersSent) html(res, 500, renderMessage('Error', 'Something went wrong.'));
    else res.destroy();
  });
});

server.listen(port, host, () => {
  if (debugTokens) process.stdout.write('webapp: WEBAPP_DEBUG_TOKENS=1, GET /debug/tokens shows tokens\n');
  process.stdout.write(`webapp example listening on ${self}\n`);
});
process.once('SIGTERM', () => {
  sessions.close();
  server.close();
});
