// Row: the floor for a Node proxy (servers/bare-proxy.ts): node:http + undici Pool.stream, no auth.

import { join } from 'node:path';
import { expectStatus, waitReady } from '../../lib/http-check.ts';
import { freePort, startNode, stop } from '../../lib/processes.ts';
import type { RowSpec } from '../setup.ts';

const row: RowSpec = {
  key: 'bare',
  order: 10,
  label: (s) => `bare proxy (node:http + undici${s.workers > 1 ? `, cluster ${s.workers}` : ''})`,
  does: 'hop-by-hop headers removed, nothing else',
  async start({ setup, upstreamPort, fixtures, nodeFlags = [] }) {
    const port = await freePort();
    const proc = startNode(setup.taskset, setup.proxyCpu, [
      ...nodeFlags,
      join(import.meta.dirname, '../servers/bare-proxy.ts'),
      String(port),
      `http://127.0.0.1:${upstreamPort}`,
      String(setup.workers),
    ]);
    await waitReady(port, '/', proc, 'bare proxy');
    await expectStatus(port, '/hs/items', {}, 200, 'bare proxy', '"bench-upstream"');
    // The same request bytes as the jwtgate HS256 row.
    return {
      procs: [proc],
      target: {
        url: `http://127.0.0.1:${port}/hs/items`,
        headers: { Authorization: `Bearer ${fixtures.hsToken}` },
      },
      stop: () => stop(proc),
    };
  },
};
export default row;
