// Row: nginx as a plain reverse proxy (Debian's /usr/sbin/nginx, its own prefix and config).

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectStatus, waitReady } from '../../lib/http-check.ts';
import { findTool, freePort, pinned, scratch, start, stop } from '../../lib/processes.ts';
import type { RowSpec } from '../setup.ts';

function nginxConfig(port: number, upstream: number, workers: number): string {
  const prefix = mkdtempSync(join(scratch(), 'nginx-'));
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  # Node's servers never close a busy keep-alive connection; nginx's default is after 1000 requests.
  keepalive_requests 1000000;
  upstream bench_upstream {
    server 127.0.0.1:${upstream};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port}${workers > 1 ? ' reuseport' : ''};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  return conf;
}

const row: RowSpec = {
  key: 'nginx',
  order: 90,
  label: (s) => `nginx (worker_processes ${s.workers})`,
  does: 'proxy_pass, keepalive 64, access_log off',
  async start({ setup, upstreamPort, fixtures }) {
    const nginx = findTool('nginx');
    if (nginx === null) throw new Error('nginx is not installed (apt-get install -y nginx-light)');
    const port = await freePort();
    const conf = nginxConfig(port, upstreamPort, setup.workers);
    const prefix = join(conf, '..');
    const [c, a] = pinned(setup.taskset, setup.proxyCpu, nginx, [
      '-p',
      prefix,
      '-c',
      conf,
      '-e',
      join(prefix, 'logs/error.log'),
    ]);
    const proc = start(c, a);
    await waitReady(port, '/', proc, 'nginx');
    await expectStatus(port, '/hs/items', {}, 200, 'nginx', '"bench-upstream"');
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
