import cluster, { type Worker } from 'node:cluster';
import { Redis } from 'ioredis';
import pino from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { createAdminServer } from './admin-server.ts';
import { compileGateway } from './config/compile-gateway.ts';
import { readConfig } from './config/read-config.ts';
import { createGateway } from './create-gateway.ts';
import { GatewayError } from './errors.ts';
import { readIdentityJwks } from './identity/identity-keys.ts';
import { publishRevocation } from './state/redis-revocations.ts';
import { RevocationList } from './state/revocation-list.ts';

export interface RunOptions {
  readonly config: string;
  readonly workers: number;
  readonly watch: boolean;
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'sync' }
  | { type: 'synced' }
  | { type: 'revoke'; jti: string; exp: number };

/** Runs one gateway process with signal handling: SIGHUP reloads, SIGTERM/SIGINT drain and exit. */
async function runSingle(options: RunOptions, inCluster: boolean): Promise<void> {
  // Access lines are written in batches of about 4 KiB (one write for ~20 requests rather than
  // one each), and at least every 250 ms when traffic is light; flushed synchronously on exit.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 });
  const log = pino({ name: 'jwtgate-gateway', level: process.env.LOG_LEVEL || 'info' }, destination);
  const gateway = createGateway({
    configFile: options.config,
    watch: options.watch,
    logger: log,
    admin: !inCluster,
  });
  if (inCluster) {
    // The primary owns the admin listener; workers report metrics to it and take revocations from it.
    AggregatorRegistry.setRegistries([gateway.metrics.registry]);
    // Constructing one installs prom-client's worker listener that answers the primary's requests.
    new AggregatorRegistry();
    // The revocations the primary knows arrive before this worker takes its first request.
    const synced = new Promise<void>((resolve) => {
      const giveUp = setTimeout(resolve, 5000);
      process.on('message', (m: WorkerMessage) => {
        if (m.type === 'revoke') gateway.revocations.add(m.jti, m.exp);
        else if (m.type === 'synced') {
          clearTimeout(giveUp);
          resolve();
        }
      });
    });
    process.send?.({ type: 'sync' });
    await synced;
  }
  await gateway.start();
  if (inCluster) process.send?.({ type: 'ready' });
  process.on('SIGHUP', () => void gateway.reload());
  const stop = async () => {
    await gateway.close();
    // Written out before exit: an asynchronous flush would race process.exit and lose the last lines.
    destination.flushSync();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The primary of `--workers N`: forks N gateways sharing the port, relays signals, serves admin. */
async function runPrimary(options: RunOptions): Promise<void> {
  const log = pino({ name: 'jwtgate-gateway', level: process.env.LOG_LEVEL || 'info' });
  // Validate once here so a bad file fails before any worker starts, with the same message.
  const loaded = readConfig(options.config);
  const probe = compileGateway(loaded, { revocations: new RevocationList() });
  const revocations = new RevocationList();
  // With gateway.redis, a revocation posted here also reaches the replicas on other hosts.
  const publisher = probe.redis
    ? new Redis(probe.redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 1000 })
    : null;
  publisher?.on('error', (err: Error) => log.warn({ error: err.message }, 'redis unavailable'));
  const ready = new Set<number>();
  let stopping = false;
  const startedAt = new Map<number, number>();
  let restartDelay = 0;
  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'sync') {
        // IPC keeps order: every entry is applied before 'synced' releases the worker's listen.
        for (const r of revocations.list()) worker.send({ type: 'revoke', ...r });
        worker.send({ type: 'synced' });
      } else if (m.type === 'ready') {
        ready.add(worker.id);
        // Revoked between the sync and now: re-sending is harmless (add is idempotent).
        for (const r of revocations.list()) worker.send({ type: 'revoke', ...r });
      }
    });
    return worker;
  };
  for (let i = 0; i < options.workers; i++) fork();
  cluster.on('exit', (worker, code) => {
    ready.delete(worker.id);
    if (stopping) return;
    if (code === 78) {
      log.error('a worker refused the configuration; stopping');
      stopping = true;
      process.exit(78);
    }
    // A worker that dies soon after starting is restarted with a growing delay, not in a tight loop.
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    restartDelay = lived > 10_000 ? 0 : Math.min(30_000, Math.max(500, restartDelay * 2));
    log.warn({ worker: worker.id, code, restart_in_ms: restartDelay }, 'worker exited; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay);
  });
  const workers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  process.on('SIGHUP', () => {
    for (const w of workers()) w.process.kill('SIGHUP');
  });
  const stop = () => {
    stopping = true;
    const alive = workers();
    if (alive.length === 0) process.exit(0);
    let left = alive.length;
    for (const w of alive) {
      w.once('exit', () => {
        if (--left === 0) process.exit(0);
      });
      w.process.kill('SIGTERM');
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  if (probe.admin) {
    const aggregator = new AggregatorRegistry();
    const admin = createAdminServer({
      readiness: async () => ({
        ready: ready.size === options.workers,
        body: { workers: ready.size, expected: options.workers },
      }),
      async metrics() {
        try {
          return { contentType: aggregator.contentType, body: await aggregator.clusterMetrics() };
        } catch (cause) {
          // A worker that does not answer (prom-client gives up after 5 s) must not crash the primary.
          log.warn({ err: cause }, 'metrics aggregation failed');
          throw new GatewayError('ERR_METRICS_UNAVAILABLE', { cause });
        }
      },
      revoked: () => revocations.list(),
      // The workers sign with the keys in the state directory: published from there.
      jwks: () => {
        const si = loaded.config.gateway.signed_identity;
        return si ? readIdentityJwks(si.state_dir, Date.now()) : null;
      },
      async revoke(jti, exp) {
        revocations.add(jti, exp);
        for (const w of workers()) w.send({ type: 'revoke', jti, exp });
        if (publisher === null || probe.redis === null) return;
        try {
          await publishRevocation(publisher, probe.redis.prefix, jti, exp);
        } catch (cause) {
          throw new GatewayError('ERR_REDIS_UNAVAILABLE', {
            cause,
            detail: 'Revoked on these workers only: Redis is unreachable; retry to reach the other replicas',
          });
        }
      },
    });
    await new Promise<void>((resolve) => admin.listen(probe.admin?.port, probe.admin?.host, resolve));
  }
  log.info({ workers: options.workers }, 'gateway primary started');
}

/** `jwtgate gateway`: one process, or `--workers N` processes sharing the port (node:cluster). */
export async function runGateway(options: RunOptions): Promise<void> {
  if (options.workers > 1 && cluster.isPrimary) return runPrimary(options);
  return runSingle(options, cluster.isWorker);
}
