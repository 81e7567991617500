import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { IssuedToken } from 'oidc-provider';
import type { Logger } from 'pino';
import { createRateLimiter } from '../lib/rate-limit.ts';
import { tracing } from '../lib/tracing/tracing.ts';
import { isStoreUnavailable } from '../store/store-unavailable.ts';
import type { Store } from '../store/types.ts';
import { createAccountPage } from './account/create-account-page.ts';
import { createAdminApi } from './admin/admin-api.ts';
import { recordAudit } from './audit.ts';
import { createConsole } from './console/create-console.ts';
import { type IssuerOptions, jwksMaxAgeSeconds } from './issuer-options.ts';
import { KeyRing, type KeySnapshot } from './keys/key-ring.ts';
import { pageHeaders, renderMessagePage } from './login/login-page.ts';
import { isAssetPath, serveAsset } from './login/page-assets.ts';
import { createUserRoutes } from './login/user-routes.ts';
import { buildProvider, OAUTH_ROUTES } from './oidc/build-provider.ts';
import { createStoreAdapter } from './oidc/store-adapter.ts';
import { USER_ROUTES } from './oidc/user-flows.ts';
import { clientAddress, tagClientAddress, trustedProxies } from './protect/client-address.ts';
import { answerPreflight } from './protect/cors.ts';
import { claimedClientId, peekBody } from './protect/read-form-body.ts';
import { TokenEndpointGuard } from './protect/token-endpoint-guard.ts';
import { RedisRevocationRelay } from './revocation/redis-relay.ts';
import { parseCursor, RevocationFeed } from './revocation/revocation-feed.ts';
import { createTokenExchange } from './tokens/exchange-token.ts';
import type { OwnTokenContext } from './tokens/own-token-endpoints.ts';
import { createOwnTokenVerifier, type OwnTokenVerifier } from './tokens/verify-own-token.ts';
import { traceIssuerRequest } from './trace-issuer-request.ts';
import { createTutorialHandler } from './tutorial/tutorial-server.ts';

export interface IssuerDeps {
  readonly store: Store;
  readonly log: Logger;
  /** Key encryption key for private signing keys at rest (JWTGATE_KEY_ENCRYPTION_KEY), or null. */
  readonly kek: Buffer | null;
  /** The clock of key transitions, lock-outs and the feed. oidc-provider itself reads Date.now. */
  readonly now?: () => number;
  /**
   * Also serve the tutorial's token at `GET /` (HS256 with this secret, see createTutorialHandler),
   * in front of the OAuth endpoints: the demo's one issuer port does both.
   */
  readonly tutorial?: { readonly secret: string; readonly lifetimeSeconds: number };
}

export interface Issuer {
  /** Loads (or creates) the keys, starts the feed and listens; resolves to the bound port. */
  start(): Promise<{ port: number }>;
  close(): Promise<void>;
  readonly server: Server;
  readonly keys: KeyRing;
  readonly feed: RevocationFeed;
  /** Relays revocations to the gateways' Redis (null without `redis`). */
  readonly relay: RedisRevocationRelay | null;
}

const OAUTH_PATHS = new Set<string>(Object.values(OAUTH_ROUTES));
/** Endpoints a browser app calls cross-origin, and the methods it may use there. */
const CORS_PATHS = new Map<string, string>([
  [OAUTH_ROUTES.token, 'POST'],
  [OAUTH_ROUTES.revocation, 'POST'],
  [OAUTH_ROUTES.introspection, 'POST'],
  [OAUTH_ROUTES.deviceAuthorization, 'POST'],
  [USER_ROUTES.userinfo, 'GET, POST'],
]);
/** The endpoints that authenticate clients: body-limited, rate-limited, lock-out counted. */
const GUARDED_PATHS = new Set<string>([
  OAUTH_ROUTES.token,
  OAUTH_ROUTES.introspection,
  OAUTH_ROUTES.revocation,
  OAUTH_ROUTES.deviceAuthorization,
]);

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    })
    .end(JSON.stringify(body));
}

/** An error in the RFC 6749 5.2 shape, for answers the issuer gives before oidc-provider sees the request. */
function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers = {},
): void {
  sendJson(res, status, { error, error_description: description }, { pragma: 'no-cache', ...headers });
}

/**
 * The issuer: oidc-provider behind a small router that serves only what is enabled (token,
 * introspection, revocation, JWKS, both metadata documents) plus the revocation feed, the admin
 * API and a health check; everything else is 404. The Provider is rebuilt whenever the published
 * keys change and swapped in atomically: requests under way finish on the one they started with.
 *
 * @example
 * const store = openSqliteStore('.data/issuer.db');
 * await store.migrate();
 * const issuer = createIssuer(resolveIssuerOptions({ issuerUrl: 'https://auth.example', port: 8080 }), {
 *   store, log: pino(), kek: loadKeyEncryptionKey(),
 * });
 * await issuer.start();
 */
export function createIssuer(options: IssuerOptions, deps: IssuerDeps): Issuer {
  const { store, log, kek } = deps;
  const now = deps.now ?? Date.now;
  const lastOutageWarning = new Map<string, number>();
  const onError = (what: string) => (err: unknown) => {
    if (!isStoreUnavailable(err)) return log.error({ err }, `${what} failed`);
    // An outage is one condition, not an error per request or poll: a short warning every 10 s.
    const at = Date.now();
    if (at - (lastOutageWarning.get(what) ?? 0) < 10_000) return;
    lastOutageWarning.set(what, at);
    log.warn({ error: (err as Error).message }, `${what}: the store is unreachable; retrying`);
  };
  const keys = new KeyRing({
    store,
    alg: options.alg,
    prePublishMs: options.prePublishSeconds * 1000,
    retentionMs: (options.tokenLifetimeSeconds + options.retentionMarginSeconds) * 1000,
    rotateEveryMs: options.rotateEverySeconds === null ? null : options.rotateEverySeconds * 1000,
    kek,
    pollMs: options.keyPollMs,
    now,
    onError: (err, what) => onError(what)(err),
  });
  const feed = new RevocationFeed({
    store,
    pollMs: options.revocationPollMs,
    heartbeatMs: 15_000,
    maxSubscribers: 1000,
    now,
    onError: onError('revocation feed'),
  });
  const relay =
    options.redis === null
      ? null
      : new RedisRevocationRelay({
          store,
          url: options.redis.url,
          prefix: options.redis.prefix,
          pollMs: options.revocationPollMs,
          log,
        });
  /** A revocation was stored by this process: tell the feed's streams and Redis now, not at the next poll. */
  const revoked = () => {
    feed.notify();
    relay?.sync();
  };
  const guard = new TokenEndpointGuard({ ...options.rateLimit, lockout: options.lockout });
  // RFC 8628 5.1: user codes are short, so their entry is throttled per address like logins.
  const codeEntries =
    options.login.perAddress === null
      ? null
      : createRateLimiter(options.login.perAddress.rate, options.login.perAddress.burst);
  const users = createUserRoutes({ store, options, kek, now, log, onRevoked: revoked });
  const adapter = users.adapter(createStoreAdapter(store));
  const tutorial =
    deps.tutorial === undefined
      ? null
      : createTutorialHandler(
          deps.tutorial.secret,
          log.child({ mode: 'tutorial' }),
          deps.tutorial.lifetimeSeconds,
        );
  const admin =
    options.adminToken === null
      ? null
      : createAdminApi({
          store,
          token: options.adminToken,
          prePublishSeconds: options.prePublishSeconds,
          maxTokenLifetimeSeconds: options.tokenLifetimeSeconds + options.retentionMarginSeconds,
          kek,
          now,
          onKeysChanged: () => void keys.refresh().catch(onError('key refresh')),
          onRevoked: revoked,
        });

  const webConsole = options.console
    ? createConsole({
        store,
        issuerUrl: options.issuerUrl,
        login: options.login,
        prePublishSeconds: options.prePublishSeconds,
        maxTokenLifetimeSeconds: options.tokenLifetimeSeconds + options.retentionMarginSeconds,
        kek,
        now,
        log: log.child({ component: 'console' }),
        publicJwks: () => keys.snapshot().publicJwks,
        onKeysChanged: () => void keys.refresh().catch(onError('key refresh')),
        onRevoked: revoked,
        signIn: users.signIn,
        mfa: options.mfa,
      })
    : null;

  const account = createAccountPage({
    store,
    issuerUrl: options.issuerUrl,
    login: options.login,
    kek,
    signIn: users.signIn,
    mfa: options.mfa,
    now,
    log: log.child({ component: 'account' }),
  });

  const onIssued = (token: IssuedToken) => {
    const detail = {
      client_id: token.clientId,
      aud: token.aud,
      scope: token.scope,
      expires_in: token.expiration,
      kid: keys.signingKey().kid,
    };
    log.info({ jti: token.jti, ...detail }, 'token issued');
    // After the response is written: the audit row (a synchronous, fsynced SQLite insert) does not delay it.
    setImmediate(() =>
      recordAudit(
        store,
        { type: 'token.issued', actor: token.clientId, subject: token.jti, detail },
        onError('audit'),
      ),
    );
  };

  let ownVerifier: OwnTokenVerifier | null = null;
  const tokenExchange = createTokenExchange({
    issuer: options.issuerUrl,
    store,
    ownTokens: () => {
      if (ownVerifier === null) throw new Error('the issuer has not been started');
      return ownVerifier;
    },
    tokenLifetimeSeconds: options.tokenLifetimeSeconds,
    signingKey: () => keys.signingKey(),
    now,
  });

  let handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async () => {
    throw new Error('the issuer has not been started');
  };
  const rebuild = (snapshot: KeySnapshot) => {
    const ownTokens: OwnTokenContext = {
      verifier: createOwnTokenVerifier(options.issuerUrl, snapshot.publicJwks, now),
      store,
      onRevoked: revoked,
    };
    ownVerifier = ownTokens.verifier;
    const provider = buildProvider({
      issuer: options.issuerUrl,
      keys: snapshot,
      adapter,
      signingKey: () => keys.signingKey(),
      tokenLifetimeSeconds: options.tokenLifetimeSeconds,
      jwksMaxAgeSeconds: jwksMaxAgeSeconds(options),
      ownTokens,
      onIssued,
      onServerError: onError('oidc-provider'),
      users: users.setup(),
      isWebOrigin: (origin) => store.clients.hasWebOrigin(origin),
      deviceFlow: { store, now, ...options.deviceFlow },
      tokenExchange,
      dpop: { nonceSecret: users.secrets().dpopNonceKey, requireNonce: options.dpop.requireNonce },
    });
    handle = provider.callback();
    users.serve(provider, ownTokens.verifier);
    log.info(
      { published: snapshot.records.map((k) => `${k.kid} (${k.alg}, ${k.state})`) },
      'signing keys loaded',
    );
  };
  keys.onChange(rebuild);

  async function guarded(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const peek = await peekBody(req, options.maxBodyBytes);
    if (!peek.ok) {
      const described = {
        411: 'a Content-Length is required',
        413: `the request body exceeds ${options.maxBodyBytes} bytes`,
        400: 'the request body could not be read',
      }[peek.status];
      return sendOAuthError(res, peek.status, 'invalid_request', described, { connection: 'close' });
    }
    const clientId = claimedClientId(req, peek.body);
    const address = clientAddress(req);
    const decision = guard.check(clientId, address, now());
    if (!decision.allowed) {
      log.warn({ client_id: clientId, address, reason: decision.reason, path }, 'request refused');
      return sendOAuthError(
        res,
        429,
        'temporarily_unavailable',
        decision.reason === 'locked'
          ? 'too many failed client authentications; try again later'
          : 'too many requests; slow down',
        { 'retry-after': String(decision.retryAfterSeconds) },
      );
    }
    res.once('finish', () => {
      if (res.statusCode === 401) {
        const locked = guard.failed(clientId, address, now());
        log.warn({ client_id: clientId, address, path, locked }, 'client authentication failed');
        const detail = { address, endpoint: path };
        void recordAudit(
          store,
          { type: 'auth.failed', actor: clientId ?? 'unknown', subject: clientId ?? null, detail },
          onError('audit'),
        );
        if (locked)
          void recordAudit(
            store,
            { type: 'auth.locked', actor: 'issuer', subject: clientId ?? null, detail },
            onError('audit'),
          );
      } else if (res.statusCode < 400) {
        guard.succeeded(clientId, address);
      } else if (res.statusCode === 400) {
        guard.malformed(clientId);
      }
    });
    await handle(req, res);
  }

  /** CORS preflights name no client: counted against the address, like the requests they precede. */
  async function preflight(req: IncomingMessage, res: ServerResponse, methods: string): Promise<void> {
    const decision = guard.check(undefined, clientAddress(req), now());
    if (!decision.allowed)
      return sendOAuthError(res, 429, 'temporarily_unavailable', 'too many requests; slow down', {
        'retry-after': String(decision.retryAfterSeconds),
      });
    return answerPreflight(req, res, methods, (origin) => store.clients.hasWebOrigin(origin));
  }

  /**
   * Whether to send this replica traffic: the store answers (within 2 s) and a signing key is
   * loaded. Redis is reported, not required: without it the issuer keeps issuing and relays the
   * revocations once it is back.
   */
  async function readiness(): Promise<{ status: string; store: string; keys: number; redis?: string }> {
    let timer: NodeJS.Timeout | undefined;
    const storeState = await Promise.race([
      store.revocations.isRevoked('jwtgate-readiness-probe').then(() => 'up'),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('down'), 2000);
      }),
    ]).catch(() => 'down');
    clearTimeout(timer);
    let published = 0;
    try {
      published = keys.snapshot().records.length;
    } catch {
      // not started yet
    }
    return {
      status: storeState === 'up' && published > 0 ? 'ready' : 'not ready',
      store: storeState,
      keys: published,
      ...(relay === null ? {} : { redis: relay.up ? 'up' : 'down' }),
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const corsMethods = CORS_PATHS.get(path);
    if (method === 'OPTIONS' && corsMethods !== undefined) return preflight(req, res, corsMethods);
    if (users.owns(path)) return users.route(req, res, path);
    if (isAssetPath(path)) return serveAsset(req, res, path, new URL(url, 'http://assets.invalid'));
    // oidc-provider's resume steps of the authorization endpoint and the device flow, after the login page.
    if (path.startsWith(`${OAUTH_ROUTES.authorization}/`) && method === 'GET') return handle(req, res);
    if (path.startsWith(`${OAUTH_ROUTES.codeVerification}/`) && method === 'GET') return handle(req, res);
    if (path === OAUTH_ROUTES.codeVerification && method === 'POST' && codeEntries !== null) {
      const address = clientAddress(req);
      const wait = codeEntries.take(address, now());
      if (wait > 0) {
        log.warn({ address }, 'device code entries throttled');
        res
          .writeHead(429, { ...pageHeaders(), 'retry-after': String(wait) })
          .end(renderMessagePage('Too many attempts', 'Too many codes entered. Try again later.'));
        return;
      }
    }
    if (OAUTH_PATHS.has(path)) {
      if (GUARDED_PATHS.has(path) && method === 'POST') return guarded(req, res, path);
      return handle(req, res);
    }
    if (path === '/healthz' && method === 'GET')
      return sendJson(res, 200, {
        status: 'ok',
        ...(relay === null ? {} : { redis: relay.up ? 'up' : 'down' }),
      });
    if (path === '/readyz' && method === 'GET') {
      const ready = await readiness();
      return sendJson(res, ready.status === 'ready' ? 200 : 503, ready);
    }
    if (tutorial !== null && path === '/') return tutorial(req, res);
    if (path === '/revocations' && method === 'GET') {
      const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const limit = Number(params.get('limit') ?? 1000) || 1000;
      return sendJson(res, 200, await feed.list(parseCursor(params.get('since')), limit));
    }
    if (path === '/revocations/stream' && method === 'GET') {
      const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const lastEventId = req.headers['last-event-id'];
      const since = parseCursor(typeof lastEventId === 'string' ? lastEventId : params.get('since'));
      return feed.stream(req, res, since);
    }
    if (admin !== null && (path === '/admin' || path.startsWith('/admin/'))) return admin(req, res, url);
    if (path === '/account' || path.startsWith('/account/')) return account(req, res, url);
    if (webConsole !== null && (path === '/console' || path.startsWith('/console/')))
      return webConsole(req, res, url);
    sendJson(res, 404, { error: 'ERR_ROUTE_NOT_FOUND', message: 'No such endpoint' });
  }

  const proxies = trustedProxies(options.trustedProxies);
  const server = createServer(
    { maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000 },
    (req, res) => {
      tagClientAddress(req, proxies);
      const t = tracing();
      const served = t === null ? route(req, res) : traceIssuerRequest(t, req, res, () => route(req, res));
      served.catch((err: unknown) => {
        const unavailable = isStoreUnavailable(err);
        if (unavailable)
          log.warn(
            { error: (err as Error).message, path: (req.url ?? '/').split('?')[0] },
            'store unreachable',
          );
        else log.error({ err }, 'request failed');
        if (res.headersSent) res.destroy();
        else if (unavailable)
          sendJson(
            res,
            503,
            { error: 'ERR_STORE_UNAVAILABLE', message: 'The store is unreachable; retry shortly' },
            { 'retry-after': '1' },
          );
        else sendJson(res, 500, { error: 'server_error', error_description: 'internal error' });
      });
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
  });

  return {
    server,
    keys,
    feed,
    relay,
    async start() {
      await users.start();
      await keys.start();
      await feed.start();
      relay?.start();
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            new Error(
              err.code === 'EADDRINUSE'
                ? `port ${options.port} on ${options.host} is already in use; choose another with --port`
                : `cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}`,
            ),
          ),
        );
        server.listen(options.port, options.host, () => resolve((server.address() as { port: number }).port));
      });
      log.info(
        { issuer: options.issuerUrl, listen: `${options.host}:${port}`, admin: admin !== null },
        'issuer ready',
      );
      return { port };
    },
    async close() {
      await Promise.all([keys.stop(), feed.close(), relay?.close()]);
      const closed = new Promise((r) => server.close(r));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
      await closed;
    },
  };
}
