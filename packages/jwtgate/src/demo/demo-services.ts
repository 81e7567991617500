import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listen } from './listen.ts';

/** The identity headers the gateway sets for the billing and inventory routes. */
export const IDENTITY_HEADERS = Object.freeze({
  'X-User-Id': 'sub',
  'X-Client-Id': 'client_id',
  'X-User-Roles': 'roles',
});

export interface DemoServices {
  /** Upstream origins, e.g. http://127.0.0.1:40123. */
  readonly tutorial: string;
  readonly billing: string;
  readonly inventory: string;
  close(): Promise<void>;
}

/** What a service saw of the caller: only the identity headers the gateway set. */
function seen(req: IncomingMessage): string {
  return Object.keys(IDENTITY_HEADERS)
    .map((h) => `${h}=${req.headers[h.toLowerCase()] ?? '-'}`)
    .join(' ');
}

/**
 * The microservices behind the demo gateway, on free loopback ports (only the gateway calls
 * them): the tutorial's protected endpoint, and billing and inventory services that answer with
 * the identity they were given.
 */
export async function startDemoServices(): Promise<DemoServices> {
  const text = { 'content-type': 'text/plain; charset=utf-8' };
  const servers: Record<'tutorial' | 'billing' | 'inventory', Server> = {
    tutorial: createServer((_req, res) => res.writeHead(200, text).end('Super Secret Information')),
    billing: createServer((req, res) =>
      res.writeHead(200, text).end(`billing service saw ${seen(req)} path=${req.url}\n`),
    ),
    inventory: createServer((req, res) =>
      res.writeHead(200, text).end(`inventory service saw ${seen(req)} path=${req.url}\n`),
    ),
  };
  const started: Server[] = [];
  const origins: Record<string, string> = {};
  try {
    for (const [name, server] of Object.entries(servers)) {
      const port = await listen(server, '127.0.0.1', 0, `the ${name} service`);
      started.push(server);
      origins[name] = `http://127.0.0.1:${port}`;
    }
  } catch (err) {
    for (const s of started) s.close();
    throw err;
  }
  return {
    tutorial: origins.tutorial as string,
    billing: origins.billing as string,
    inventory: origins.inventory as string,
    close: async () => {
      await Promise.all(
        started.map((s) => {
          const closed = new Promise((r) => s.close(r));
          s.closeAllConnections();
          return closed;
        }),
      );
    },
  };
}
