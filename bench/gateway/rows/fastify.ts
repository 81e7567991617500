// Row: fastify with its usual JWT and proxy plugins (servers/fastify-proxy.ts), HS256 token reused.

import { join } from 'node:path';
import { expectStatus, waitReady } from '../../lib/http-check.ts';
import { freePort, startNode, stop } from '../../lib/processes.ts';
import { AUDIENCE, ISSUER_HS, SECRET, tamper } from '../fixtures.ts';
import type { RowSpec } from '../setup.ts';

const row: RowSpec = {
  key: 'fastify',
  order: 60,
  label: () => 'fastify + @fastify/http-proxy + @fastify/jwt, HS256 reused',
  does: 'HS256 verified (alg, iss, aud, exp), scope read, X-User-Id; no access log',
  async start({ setup, upstreamPort, fixtures }) {
    const port = await freePort();
    const proc = startNode(setup.taskset, setup.proxyCpu, [
      join(import.meta.dirname, '../servers/fastify-proxy.ts'),
      String(port),
      `http://127.0.0.1:${upstreamPort}`,
      String(setup.workers),
      ISSUER_HS,
      AUDIENCE,
      SECRET,
    ]);
    try {
      await waitReady(port, '/', proc, 'fastify');
      const token = fixtures.hsToken;
      await expectStatus(port, '/hs/items', {}, 401, 'fastify, no token');
      await expectStatus(
        port,
        '/hs/items',
        { authorization: `Bearer ${tamper(token)}` },
        401,
        'fastify, forged',
      );
      await expectStatus(
        port,
        '/hs/items',
        { authorization: `Bearer ${token}` },
        200,
        'fastify',
        '"bench-upstream"',
      );
    } catch (err) {
      await stop(proc);
      throw err;
    }
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
