// bench/gateway: Debian's nginx (/usr/sbin/nginx) as a reverse proxy in front of the upstream,
// with its own prefix and config (never the system service): plain HTTP, or terminating TLS with
// the bench certificate (HTTP/1.1 and HTTP/2 by ALPN on one port) for the TLS rows.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Endpoint, expectStatus, waitReady } from '../lib/http-check.ts';
import { findTool, freePort, pinned, scratch, start, stop } from '../lib/processes.ts';
import { HTTP2_STREAMS, type RowContext, type RunningRow } from './setup.ts';
import { benchCertificate } from './tls-certificate.ts';

export interface NginxCase {
  /** Terminate TLS with the bench certificate; HTTP/2 load (h2load) with `http2`. */
  readonly tls?: boolean;
  readonly http2?: boolean;
}

/** `http2 on` from nginx 1.25.1; before, a `listen` parameter. */
function listenLine(nginx: string, port: number, c: NginxCase, workers: number): string {
  const reuse = workers > 1 ? ' reuseport' : '';
  if (!c.tls) return `listen 127.0.0.1:${port}${reuse};`;
  const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr);
  const [major, minor, patch] = (version?.slice(1) ?? ['0', '0', '0']).map(Number) as [
    number,
    number,
    number,
  ];
  const modern = major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
  const { cert, key } = benchCertificate();
  const tls = `ssl_certificate ${cert};\n    ssl_certificate_key ${key};\n    ssl_protocols TLSv1.2 TLSv1.3;`;
  return modern
    ? `listen 127.0.0.1:${port} ssl${reuse};\n    http2 on;\n    ${tls}`
    : `listen 127.0.0.1:${port} ssl http2${reuse};\n    ${tls}`;
}

function nginxConfig(nginx: string, port: number, upstream: number, workers: number, c: NginxCase): string {
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
  # Node's servers never close a busy keep-alive connection; nginx's default is after 1000 requests
  # (HTTP/2 connections too).
  keepalive_requests 1000000;
  http2_max_concurrent_streams 128;
  upstream bench_upstream {
    server 127.0.0.1:${upstream};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    ${listenLine(nginx, port, c, workers)}
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

/** Starts nginx for a row, checks it proxies, says what to send (the HS256 rows' request bytes). */
export async function startNginx(
  { setup, upstreamPort, fixtures }: RowContext,
  c: NginxCase = {},
): Promise<RunningRow> {
  const nginx = findTool('nginx');
  if (nginx === null) throw new Error('nginx is not installed (apt-get install -y nginx-light)');
  const port = await freePort();
  const conf = nginxConfig(nginx, port, upstreamPort, setup.workers, c);
  const prefix = join(conf, '..');
  const [command, argv] = pinned(setup.taskset, setup.proxyCpu, nginx, [
    '-p',
    prefix,
    '-c',
    conf,
    '-e',
    join(prefix, 'logs/error.log'),
  ]);
  const proc = start(command, argv);
  const endpoint: Endpoint = c.tls ? { port, ca: benchCertificate().ca, http2: c.http2 === true } : port;
  try {
    await waitReady(endpoint, '/', proc, 'nginx');
    await expectStatus(endpoint, '/hs/items', {}, 200, 'nginx', '"bench-upstream"');
  } catch (err) {
    await stop(proc);
    throw err;
  }
  return {
    procs: [proc],
    target: {
      url: `${c.tls ? 'https' : 'http'}://127.0.0.1:${port}/hs/items`,
      headers: { Authorization: `Bearer ${fixtures.hsToken}` },
      ...(c.http2 ? { http2: { streams: HTTP2_STREAMS } } : {}),
    },
    stop: () => stop(proc),
  };
}
