// Row: nginx as a plain reverse proxy (start-nginx.ts: Debian's /usr/sbin/nginx, its own prefix and config).

import type { RowSpec } from '../setup.ts';
import { startNginx } from '../start-nginx.ts';

const row: RowSpec = {
  key: 'nginx',
  order: 90,
  label: (s) => `nginx (worker_processes ${s.workers})`,
  does: 'proxy_pass, keepalive 64, access_log off',
  start: (ctx) => startNginx(ctx),
};
export default row;
