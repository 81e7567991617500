// bench/lib/http-check: single requests to check what a process answers before it is measured
// (one connection each, closed after: nothing is kept alive into a measured run).

import { request } from 'node:http';
import { exited, type Started, sleep } from './processes.ts';

export function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { ...headers, connection: 'close' }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until the port answers at all (any status), or throws with the process output. */
export async function waitReady(
  port: number,
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
      await get(port, path);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${what} did not answer on port ${port} within ${timeoutMs} ms:\n${proc.output()}`);
}

/** Throws unless `path` answers `status` (with a body containing `bodyIncludes`, when given). */
export async function expectStatus(
  port: number,
  path: string,
  headers: Record<string, string>,
  status: number,
  what: string,
  bodyIncludes?: string,
): Promise<void> {
  const r = await get(port, path, headers);
  if (r.status !== status)
    throw new Error(`${what}: expected ${status}, got ${r.status} ${r.body.slice(0, 300)}`);
  if (bodyIncludes !== undefined && !r.body.includes(bodyIncludes))
    throw new Error(`${what}: ${status} but not the expected body: ${r.body.slice(0, 300)}`);
}
