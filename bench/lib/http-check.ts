// bench/lib/http-check: single requests to check what a process answers before it is measured
// (one connection each, closed after: nothing is kept alive into a measured run). A port given
// with a CA is asked over HTTPS (the certificate checked against that CA), or over HTTP/2 with
// `http2`.

import { request } from 'node:http';
import { connect } from 'node:http2';
import { request as requestTls } from 'node:https';
import { exited, type Started, sleep } from './processes.ts';

/** A plain port, or a TLS one with the CA its certificate chains to. */
export type Endpoint = number | { readonly port: number; readonly ca: Buffer; readonly http2?: boolean };

type Answer = { status: number; body: string };

function getHttp2(
  port: number,
  ca: Buffer,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
) {
  return new Promise<Answer>((resolve, reject) => {
    const session = connect(`https://127.0.0.1:${port}`, { ca, servername: 'bench.test' });
    session.on('error', reject);
    session.setTimeout(timeoutMs, () => session.destroy(new Error('timeout')));
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const req = session.request({ ':path': path, ...lower });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      session.close();
      resolve({ status, body });
    });
    req.on('error', reject);
  });
}

export function get(
  endpoint: Endpoint,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<Answer> {
  const tls = typeof endpoint === 'number' ? null : endpoint;
  const port = typeof endpoint === 'number' ? endpoint : endpoint.port;
  if (tls?.http2) return getHttp2(port, tls.ca, path, headers, timeoutMs);
  return new Promise((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      path,
      headers: { ...headers, connection: 'close' },
      agent: false,
    };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = tls
      ? requestTls({ ...options, ca: tls.ca, servername: 'bench.test' }, onResponse)
      : request(options, onResponse);
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until the port answers at all (any status), or throws with the process output. */
export async function waitReady(
  endpoint: Endpoint,
  path: string,
  proc: Started,
  what: string,
  // A loaded machine can take long to start a process from TypeScript sources (cluster workers too).
  timeoutMs = Number(process.env.BENCH_START_TIMEOUT_MS ?? 90_000),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(proc.child)) throw new Error(`${what} exited early:\n${proc.output()}`);
    try {
      await get(endpoint, path);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(
    `${what} did not answer on port ${typeof endpoint === 'number' ? endpoint : endpoint.port} within ${timeoutMs} ms:\n${proc.output()}`,
  );
}

/** Throws unless `path` answers `status` (and, for 200, a body containing `bodyIncludes`). */
export async function expectStatus(
  endpoint: Endpoint,
  path: string,
  headers: Record<string, string>,
  status: number,
  what: string,
  bodyIncludes?: string,
): Promise<void> {
  const r = await get(endpoint, path, headers);
  if (r.status !== status)
    throw new Error(`${what}: expected ${status}, got ${r.status} ${r.body.slice(0, 300)}`);
  if (bodyIncludes !== undefined && !r.body.includes(bodyIncludes))
    throw new Error(`${what}: ${status} but not the expected body: ${r.body.slice(0, 300)}`);
}
