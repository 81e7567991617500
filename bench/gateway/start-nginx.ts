// bench/gateway: Debian's nginx (/usr/sbin/nginx) with its own prefix and config, in front of the
// bench upstream (`upstream bench_upstream`, kept-alive connections), for the nginx rows.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady } from '../lib/http-check.ts';
import { findTool, pinned, type Started, scratch, start } from '../lib/processes.ts';
import type { Setup } from './setup.ts';

/** What goes inside a location to forward to the upstream over kept-alive connections. */
export const PROXY_TO_UPSTREAM = `proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";`;

/** The `listen` directive for `port` (reuseport with several workers). */
export function listenOn(port: number, setup: Setup): string {
  return `listen 127.0.0.1:${port}${setup.workers > 1 ? ' reuseport' : ''};`;
}

function nginxConfig(servers: string, upstream: number, workers: number): string {
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
${servers}
}
`,
  );
  return conf;
}

/** Starts nginx with `servers` (server blocks, inside `http { }`) and waits until `port` answers. */
export async function startNginx(
  setup: Setup,
  upstreamPort: number,
  port: number,
  servers: string,
): Promise<Started> {
  const nginx = findTool('nginx');
  if (nginx === null) throw new Error('nginx is not installed (apt-get install -y nginx-light)');
  const conf = nginxConfig(servers, upstreamPort, setup.workers);
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
  return proc;
}
