import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { CompiledGateway, CompiledRoute } from './config/compile-gateway.ts';
import { GatewayError } from './errors.ts';
import type { AccessLog } from './observe/access-log.ts';
import type { GatewayMetrics } from './observe/metrics.ts';
import { createOutcomeRecorder } from './observe/record-outcome.ts';
import { answerOnSocket, forwardUpgrade } from './pipeline/forward-upgrade.ts';
import { RequestState } from './pipeline/request-state.ts';
import { type Continuation, PIPELINE, runPipeline } from './pipeline/run-pipeline.ts';
import { release, tryAdmit, waitForAdmission } from './upstream/upstream-gate.ts';

/**
 * WebSocket upgrades, on routes with `websocket: true` only: the same pipeline as any request
 * (runPipeline), then forwardUpgrade. Outcomes are recorded as for plain requests.
 */
export function createUpgradeHandler(
  current: () => CompiledGateway,
  log: Logger,
  metrics: GatewayMetrics,
  access: AccessLog,
) {
  const record = createOutcomeRecorder(
    access,
    metrics,
    (request_id, err) => log.error({ request_id, err }, 'verification failed unexpectedly'),
    'proxy',
  );
  // The bytes the client sent after the upgrade request belong to its socket: one continuation per upgrade.
  const continueWith = (head: Buffer): Continuation => ({
    pass(s) {
      const socket = s.socket as Duplex;
      const route = s.route as CompiledRoute;
      if (!route.websocket) {
        answerOnSocket(
          socket,
          404,
          { 'x-request-id': s.requestId },
          { error: 'ERR_ROUTE_NOT_FOUND', request_id: s.requestId },
        );
        return record.finished(s, 404, 'ERR_ROUTE_NOT_FOUND');
      }
      if (socket.destroyed) return;
      const target = route.upstream.pick(Date.now());
      s.target = target;
      const refuse = (err: unknown) => {
        const busy = err instanceof GatewayError && err.code === 'ERR_UPSTREAM_BUSY';
        const status = busy ? 503 : (err as { name?: string })?.name === 'TimeoutError' ? 504 : 502;
        const reason = busy
          ? 'ERR_UPSTREAM_BUSY'
          : status === 504
            ? 'ERR_UPSTREAM_TIMEOUT'
            : 'ERR_UPSTREAM_UNAVAILABLE';
        const headers = busy ? { ...(err as GatewayError).headers } : {};
        if (!socket.destroyed)
          answerOnSocket(
            socket,
            status,
            { ...headers, 'x-request-id': s.requestId },
            { error: reason, request_id: s.requestId },
          );
        if (!busy)
          log.warn(
            {
              request_id: s.requestId,
              route: route.name,
              upgrade: true,
              code: (err as { code?: string }).code,
            },
            reason,
          );
        record.finished(s, status, reason);
      };
      // The handshake takes a place at the upstream like any request; the upgraded socket then
      // leaves the pool (undici hands it over), and so does the place.
      const handshake = () =>
        forwardUpgrade(s, target, head).then(
          (piped) => {
            release(route.gate, target.gate);
            if (!piped) return;
            record.allowed(s);
            record.finished(s, 101, 'OK');
          },
          (err: unknown) => {
            release(route.gate, target.gate);
            refuse(err);
          },
        );
      if (tryAdmit(route.gate, target.gate)) return void handshake();
      const left = new AbortController();
      const onClose = () => left.abort(new Error('client closed'));
      socket.once('close', onClose);
      waitForAdmission(route.gate, target.gate, s.g.limits.upstreamQueueTimeoutMs, left.signal).then(
        () => {
          socket.off('close', onClose);
          void handshake();
        },
        (err: unknown) => {
          socket.off('close', onClose);
          refuse(err);
        },
      );
    },
    deny(s, d) {
      answerOnSocket(s.socket as Duplex, d.status, d.headers, d.body);
      record.denied(s, d);
    },
    fail(s, err) {
      log.error({ err }, 'upgrade handler failed');
      (s.socket as Duplex).destroy();
    },
  });

  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const s = new RequestState(req, null, socket, current(), Date.now);
    const k = continueWith(head);
    try {
      runPipeline(PIPELINE, s, k);
    } catch (err) {
      k.fail(s, err);
    }
  };
}
