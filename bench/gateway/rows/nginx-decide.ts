// Row (extra): nginx in front of the upstream asking jwtgate for a decision on every request
// (`auth_request`, the server block `jwtgate integrate nginx` prints for the gateway's config),
// HS256 token reused. The CPU counted is nginx's and the jwtgate process's together.

import { execFileSync } from 'node:child_process';
import { expectStatus } from '../../lib/http-check.ts';
import { CLI } from '../../lib/processes.ts';
import { tamper } from '../fixtures.ts';
import type { RowSpec, RunningRow } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';
import { listenOn, PROXY_TO_UPSTREAM, startNginx } from '../start-nginx.ts';

const row: RowSpec = {
  key: 'nginx-decide',
  order: 91,
  extra: true,
  label: (s) =>
    `nginx + jwtgate decisions (auth_request), HS256 token reused (worker_processes ${s.workers}${s.workers > 1 ? `, --workers ${s.workers}` : ''})`,
  does: 'nginx auth_request to the decision listener, then proxy_pass; every check of the hs row',
  async start(ctx) {
    const f = ctx.fixtures;
    const gateway = await startJwtgate(ctx, { path: '/hs/items', token: (x) => x.hsToken, decisions: true });
    let nginx: RunningRow | null = null;
    let port = 0;
    try {
      nginx = await startNginx(ctx, {
        servers(listen, setup) {
          port = listen;
          const snippet = execFileSync(
            process.execPath,
            [
              '--conditions=jwtgate-source',
              CLI,
              'integrate',
              'nginx',
              '-c',
              gateway.config,
              '--upstream',
              'http://bench_upstream',
              '--listen',
              String(listen),
            ],
            { encoding: 'utf8' },
          );
          const servers = snippet
            .replace(`listen ${listen};`, listenOn(listen, setup))
            // Kept-alive connections to the upstream, as for nginx alone.
            .replace('proxy_pass http://bench_upstream;', PROXY_TO_UPSTREAM);
          if (!servers.includes('auth_request ') || !servers.includes(listenOn(listen, setup)))
            throw new Error(`jwtgate integrate nginx printed an unexpected snippet:\n${snippet}`);
          return servers;
        },
      });
      // Through nginx: no token 401, a forged signature 401, the token 200 from the upstream.
      await expectStatus(port, '/hs/items', {}, 401, 'nginx + decisions, no token');
      await expectStatus(
        port,
        '/hs/items',
        { authorization: `Bearer ${tamper(f.hsToken)}` },
        401,
        'nginx + decisions, forged',
      );
      await expectStatus(
        port,
        '/hs/items',
        { authorization: `Bearer ${f.hsToken}` },
        200,
        'nginx + decisions',
        '"bench-upstream"',
      );
    } catch (err) {
      if (nginx !== null) await nginx.stop();
      await gateway.stop();
      throw err;
    }
    const proxy = nginx;
    const target = {
      url: `http://127.0.0.1:${port}/hs/items`,
      headers: { Authorization: `Bearer ${f.hsToken}` },
    };
    return {
      procs: [...proxy.procs, ...gateway.procs],
      target,
      counters: gateway.counters,
      note: gateway.note,
      async stop() {
        await proxy.stop();
        await gateway.stop();
      },
    };
  },
};
export default row;
