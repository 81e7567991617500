import { watch } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { createAdminServer } from './admin-server.ts';
import { type CompiledGateway, compileGateway } from './config/compile-gateway.ts';
import { toMs } from './config/duration.ts';
import { type LoadedConfig, readConfig } from './config/read-config.ts';
import { ConfigError, GatewayError } from './errors.ts';
import { createRequestHandler } from './handle-request.ts';
import { createUpgradeHandler } from './handle-upgrade.ts';
import { type IdentityKeys, openIdentityKeys, readIdentityJwks } from './identity/identity-keys.ts';
import { guardConnections } from './limits/guard-connections.ts';
import { readOpenFileLimit } from './limits/plan-connections.ts';
import { createMetrics, type GatewayMetrics } from './observe/metrics.ts';
import { type FeedSubscription, subscribeRevocationFeed } from './state/revocation-feed.ts';
import { RevocationList } from './state/revocation-list.ts';
import { createSharedJwksFetch } from './state/shared-jwks-cache.ts';
import { openSharedRedis, type SharedRedis } from './state/shared-redis.ts';

export interface GatewayOptions {
  readonly configFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** Reload when the file changes (SIGHUP always reloads in the CLI). Default false. */
  readonly watch?: boolean;
  /** Override the configured listen port (0 = any free port), e.g. for tests. */
  readonly port?: number;
  readonly adminPort?: number;
  /** Serve the admin listener (default true); `--workers` leaves it to the primary, which owns the port. */
  readonly admin?: boolean;
}

export interface Gateway {
  start(): Promise<{ port: number; adminPort: number | null }>;
  /** Validates and swaps in the file's current config; an invalid file keeps the old one. */
  reload(): Promise<boolean>;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes everything. */
  close(graceMs?: number): Promise<void>;
  current(): CompiledGateway;
  readonly revocations: RevocationList;
  readonly metrics: GatewayMetrics;
  readonly server: Server;
  /** The shared Redis (`gateway.redis`), or null. */
  readonly redis: SharedRedis | null;
}

/** Creates a gateway from a config file; throws ConfigError (file, path, expectation) when it is invalid. */
export function createGateway(options: GatewayOptions): Gateway {
  const log = options.logger ?? pino({ name: 'jwtgate-gateway' });
  const metrics = createMetrics();
  const revocations = new RevocationList();
  // Redis is opened once from the first configuration; a reload that changes it warns (restart).
  let redis: SharedRedis | null = null;
  // With redis.jwks_cache, every verifier this gateway compiles fetches keys through Redis.
  let jwksFetch: ReturnType<typeof createSharedJwksFetch> | null = null;
  // Client and upstream connections are fitted under it (planConnections); read once, at start.
  const openFileLimit = readOpenFileLimit();
  // Redis is opened here, by the gateway, from the first configuration that names it; compiling
  // only plans it (a reload that changes it warns: restart).
  const openRedis = (loaded: LoadedConfig): boolean => {
    const r = loaded.config.gateway.redis;
    if (redis !== null || r === undefined) return false;
    const opened = openSharedRedis(
      { url: r.url, prefix: r.key_prefix, onFailure: r.on_failure, jwksCache: r.jwks_cache },
      revocations,
      log,
    );
    redis = opened;
    if (r.jwks_cache)
      jwksFetch = createSharedJwksFetch({
        redis: () => redis?.client ?? null,
        prefix: opened.prefix,
        log,
        onLookup: (result) => metrics.sharedJwks(result),
      });
    return true;
  };
  // The signing keys of signed identity tokens, opened here like Redis: with the first
  // configuration that has them, again when their directory, algorithm or period changes.
  let identityKeys: IdentityKeys | null = null;
  let identityKeysOf = '';
  const openKeys = (loaded: LoadedConfig): void => {
    const si = loaded.config.gateway.signed_identity;
    const keysOf = si ? JSON.stringify([si.state_dir, si.algorithm, si.rotate_after]) : '';
    if (si === undefined || keysOf === identityKeysOf) return;
    try {
      identityKeys = openIdentityKeys({
        dir: si.state_dir,
        alg: si.algorithm,
        rotateAfterMs: Math.max(60_000, toMs(si.rotate_after)),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(options.configFile, [
        `gateway.signed_identity.state_dir: cannot keep keys in ${si.state_dir} (${code})`,
      ]);
    }
    identityKeysOf = keysOf;
  };
  const compile = () => {
    const loaded = readConfig(options.configFile, options.env);
    openKeys(loaded);
    const opened = openRedis(loaded);
    try {
      return compileGateway(loaded, {
        openFileLimit,
        revocations,
        redis,
        identityKeys: loaded.config.gateway.signed_identity ? identityKeys : null,
        ...(jwksFetch ? { fetch: jwksFetch } : {}),
        ...(options.env ? { env: options.env } : {}),
        onKeyFetch: (provider, event) => {
          metrics.jwksFetch(provider, event.ok);
          if (!event.ok) log.warn({ provider, url: event.url, error: event.error }, 'key fetch failed');
        },
      });
    } catch (err) {
      // An invalid configuration must not leave a reconnecting Redis holding the process open.
      if (opened) {
        void redis?.close();
        redis = null;
        jwksFetch = null;
      }
      throw err;
    }
  };
  let current = compile();
  // A new period's key is made current within a minute of the period's start.
  const rotation = setInterval(() => {
    try {
      identityKeys?.rotate();
    } catch (err) {
      log.error({ err }, 'signed identity key rotation failed; signing with the previous key');
    }
  }, 60_000).unref();
  const bindCache = (g: CompiledGateway) => metrics.setCacheSource(() => g.verifier.stats());
  bindCache(current);
  const unrevoke = revocations.onRevoke((jti) => current.verifier.forgetJti(jti));
  let feed: FeedSubscription | null = null;
  const followFeed = (url: string | null) => {
    feed?.close();
    feed = url === null ? null : subscribeRevocationFeed({ url, revocations, log });
  };

  // A request holds the configuration it started with (the handlers read `current` synchronously
  // on entry) until it finishes; it may wait for keys first, so a replaced configuration's pools
  // close only once its last request is done, never under a request that has yet to forward.
  const holders = new Map<CompiledGateway, number>();
  const retired = new Set<CompiledGateway>();
  const hold = (g: CompiledGateway) => {
    holders.set(g, (holders.get(g) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const n = (holders.get(g) ?? 1) - 1;
      if (n > 0) return void holders.set(g, n);
      holders.delete(g);
      if (retired.delete(g)) void g.pools.close();
    };
  };

  let inFlight = 0;
  let drained: (() => void) | null = null;
  const handle = createRequestHandler({ current: () => current, log, metrics, now: Date.now });
  const limits = () => current.limits;
  // Bodies may stream for long (no overall request deadline: the body deadline and rate apply),
  // headers must arrive within limits.headers_timeout. Node checks that deadline only every
  // connectionsCheckingInterval (30 s by default, so a 30 s timeout fired at up to 60 s): checked
  // every second here, which costs one walk of the connections being read.
  const server = createServer(
    {
      maxHeaderSize: 16 * 1024,
      requestTimeout: 0,
      headersTimeout: current.limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(100, current.limits.headersTimeoutMs / 2)),
    },
    (req, res) => {
      inFlight++;
      const release = hold(current);
      res.once('close', () => {
        inFlight--;
        release();
        if (inFlight === 0 && drained) drained();
      });
      handle(req, res);
    },
  );
  const upgrade = createUpgradeHandler(() => current, log, metrics);
  // A connection idle (either way) for limits.idle_timeout is closed.
  server.on('timeout', (socket: Socket) => {
    metrics.limitReached('idle_timeout');
    socket.destroy();
  });
  const applyLimits = (g: CompiledGateway) => {
    server.headersTimeout = g.limits.headersTimeoutMs;
    server.timeout = g.limits.idleTimeoutMs;
    server.maxConnections = g.connections.maxConnections;
  };
  applyLimits(current);
  const guard = guardConnections(server, limits, (limit) => metrics.limitReached(limit));
  // Past maxConnections node closes the new connection at once; count it.
  server.on('drop', () => metrics.limitReached('max_connections'));
  metrics.setConnectionSource(
    () =>
      new Promise((resolve) =>
        server.getConnections((_err, open) => resolve({ open: open ?? 0, max: server.maxConnections })),
      ),
  );
  metrics.setUpstreamSource(() =>
    [...current.pools.gates()].map(([origin, { gate }]) => ({
      origin,
      active: gate.active,
      waiting: gate.waiting,
    })),
  );
  server.on('upgrade', (req, socket, head) => {
    // Held until the socket closes: never a pool closed under a handshake in progress.
    socket.once('close', hold(current));
    upgrade(req, socket, head);
  });
  // CONNECT goes through the same pipeline, which refuses it (no route takes it: no tunnels).
  server.on('connect', (req, socket, head) => upgrade(req, socket, head));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed HTTP, oversized headers, headers too slow: node hands them here (nothing reached
    // a route); a short answer, never a stack trace.
    if (!socket.writable) return socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      metrics.limitReached('headers_timeout');
      const body = JSON.stringify({
        error: 'ERR_HEADERS_TIMEOUT',
        message: 'The request headers did not arrive in time',
      });
      return socket.end(
        `HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
  });
  const admin = createAdminServer({
    async readiness() {
      let providers = current.verifier.status();
      if (!Object.values(providers).every((p) => p.ready)) providers = await current.verifier.load();
      const r = redis as SharedRedis | null;
      // Redis down with on_failure open still serves: it is reported, not a reason to be unready.
      const ready = Object.values(providers).every((p) => p.ready) && r?.refusing !== true;
      return { ready, body: { providers, ...(r !== null ? { redis: r.status() } : {}) } };
    },
    metrics: async () => ({
      contentType: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
    revoked: () => revocations.list(),
    jwks: () =>
      identityKeys && current.routes.some((r) => r.signedIdentity)
        ? readIdentityJwks(identityKeys.dir, Date.now())
        : null,
    async revoke(jti, exp) {
      revocations.add(jti, exp);
      const r = redis as SharedRedis | null;
      if (r === null) return;
      try {
        await r.publish(jti, exp);
      } catch (cause) {
        // Enforced here already; the other replicas did not hear of it.
        throw new GatewayError('ERR_REDIS_UNAVAILABLE', {
          cause,
          detail: 'Revoked on this gateway only: Redis is unreachable; retry to reach the other replicas',
        });
      }
    },
  });
  let watcher: ReturnType<typeof watch> | null = null;
  let reloadTimer: NodeJS.Timeout | null = null;

  async function reload(): Promise<boolean> {
    let next: CompiledGateway;
    try {
      next = compile();
    } catch (err) {
      log.error({ reason: (err as Error).message }, 'reload refused; keeping the running configuration');
      return false;
    }
    const old = current;
    current = next;
    bindCache(next);
    applyLimits(next);
    if (next.listen.port !== old.listen.port || next.listen.host !== old.listen.host) {
      log.warn('listen address changes take effect on restart');
    }
    // In-flight requests hold the old config; its pools close once they finish.
    if (holders.has(old)) retired.add(old);
    else void old.pools.close();
    void next.verifier.load();
    if (next.revocationFeed !== old.revocationFeed) followFeed(next.revocationFeed);
    if (JSON.stringify(next.redis) !== JSON.stringify(old.redis))
      log.warn('redis changes take effect on restart');
    log.info({ routes: next.routes.length }, 'configuration reloaded');
    return true;
  }

  return {
    server,
    revocations,
    metrics,
    get redis() {
      return redis;
    },
    current: () => current,
    reload,
    async start() {
      void current.verifier.load();
      followFeed(current.revocationFeed);
      const port = await listen(server, current.listen.host, options.port ?? current.listen.port);
      let adminPort: number | null = null;
      if (options.admin !== false && (current.admin || options.adminPort !== undefined)) {
        const a = current.admin ?? { host: '127.0.0.1', port: 0 };
        adminPort = await listen(admin, a.host, options.adminPort ?? a.port);
      }
      if (options.watch) {
        const name = basename(options.configFile);
        watcher = watch(dirname(options.configFile), (_event, file) => {
          // `..data`: a Kubernetes ConfigMap volume is updated by swapping that link to a new
          // folder (the kubelet's atomic writer); the configuration file itself never changes.
          if (file !== name && file !== '..data') return;
          if (reloadTimer) clearTimeout(reloadTimer);
          reloadTimer = setTimeout(() => void reload(), 150);
        });
      }
      log.info(
        {
          listen: `${current.listen.host}:${port}`,
          admin: adminPort,
          routes: current.routes.length,
          max_connections: current.connections.maxConnections,
          upstream_connections: current.connections.upstreamConnections,
          open_file_limit: Number.isFinite(openFileLimit) ? openFileLimit : null,
        },
        'gateway ready',
      );
      return { port, adminPort };
    },
    async close(graceMs = 10_000) {
      watcher?.close();
      clearInterval(rotation);
      guard.close();
      handle.close();
      feed?.close();
      if (reloadTimer) clearTimeout(reloadTimer);
      unrevoke();
      const closed = new Promise((r) => server.close(r));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((r) => {
            drained = r;
          }),
          new Promise((r) => setTimeout(r, graceMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
      await new Promise((r) => (admin.listening ? admin.close(r) : r(undefined)));
      // Pools close once their requests finish; after a short wait they are destroyed.
      const pools = [current, ...retired].map((g) => g.pools);
      const gentle = Promise.all(pools.map((p) => p.close()));
      const late = await Promise.race([
        gentle.then(() => false),
        new Promise((r) => setTimeout(r, 2000, true).unref()),
      ]);
      if (late) await Promise.all(pools.map((p) => p.destroy()));
      await redis?.close();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `${host}:${port} is already in use`
            : `cannot listen on ${host}:${port}: ${err.code}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}
