// Row: nginx as a plain reverse proxy (Debian's /usr/sbin/nginx, its own prefix and config).

import { expectStatus } from '../../lib/http-check.ts';
import { freePort, stop } from '../../lib/processes.ts';
import type { RowSpec } from '../setup.ts';
import { listenOn, PROXY_TO_UPSTREAM, startNginx } from '../start-nginx.ts';

const row: RowSpec = {
  key: 'nginx',
  order: 90,
  label: (s) => `nginx (worker_processes ${s.workers})`,
  does: 'proxy_pass, keepalive 64, access_log off',
  async start({ setup, upstreamPort, fixtures }) {
    const port = await freePort();
    const proc = await startNginx(
      setup,
      upstreamPort,
      port,
      `  server {
    ${listenOn(port, setup)}
    location / {
      ${PROXY_TO_UPSTREAM}
    }
  }`,
    );
    try {
      await expectStatus(port, '/hs/items', {}, 200, 'nginx', '"bench-upstream"');
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
