// Row (extra): the hs row with tracing on: the standard OTEL_* variables, OTLP/HTTP to a sink
// that discards (servers/otlp-sink.ts, on the client's CPU: a collector's work is not the row's),
// every request sampled and exported. Beside the hs row (tracing off) it is what tracing costs.

import { join } from 'node:path';
import { get, waitReady } from '../../lib/http-check.ts';
import { freePort, sleep, startNode, stop } from '../../lib/processes.ts';
import type { RowSpec } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';

const row: RowSpec = {
  key: 'hs-traced',
  order: 25,
  extra: true,
  label: (s) =>
    `jwtgate HS256, token reused, tracing on (OTLP, all sampled)${s.workers > 1 ? ` (--workers ${s.workers})` : ''}`,
  does: 'the hs row, and a server span with child spans per request, exported over OTLP/HTTP',
  async start(ctx) {
    const { setup } = ctx;
    const sinkPort = await freePort();
    const sink = startNode(setup.taskset, setup.clientCpu, [
      join(import.meta.dirname, '../servers/otlp-sink.ts'),
      String(sinkPort),
    ]);
    const received = async () => Number((await get(sinkPort, '/received')).body);
    try {
      await waitReady(sinkPort, '/received', sink, 'OTLP sink');
      const gateway = await startJwtgate(ctx, {
        path: '/hs/items',
        token: (f) => f.hsToken,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
          OTEL_TRACES_SAMPLER: 'always_on',
        },
      });
      // The checks' requests are exported within the batch processor's delay (5 s by default).
      const deadline = Date.now() + 15_000;
      while ((await received()) === 0) {
        if (Date.now() > deadline) {
          await gateway.stop();
          throw new Error('jwtgate with tracing on exported nothing to the OTLP sink');
        }
        await sleep(200);
      }
      return {
        procs: gateway.procs,
        target: gateway.target,
        warmup: gateway.warmup,
        async counters() {
          return { ...(await gateway.counters?.()), otlpBytes: await received() };
        },
        note: (d) => `${gateway.note?.(d)}; OTLP ${((d.otlpBytes ?? 0) / 1024).toFixed(0)} KiB exported`,
        async stop() {
          await gateway.stop();
          await stop(sink);
        },
      };
    } catch (err) {
      await stop(sink);
      throw err;
    }
  },
};
export default row;
