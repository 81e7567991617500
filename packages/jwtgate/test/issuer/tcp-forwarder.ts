// A TCP forwarder on 127.0.0.1 to a server (PostgreSQL, Redis) that a test can take down and bring
// back, as a network failure or a server restart would: the process behind it sees its connections
// drop and new ones fail, without the shared server itself being touched.
import { connect, createServer, type Server, type Socket } from 'node:net';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Forwarder {
  readonly port: number;
  /**
   * Cuts every open link. `drop`: then accepts new connections and closes them at once;
   * `refuse`: stops listening (connection refused) until `up()`.
   */
  down(how: 'drop' | 'refuse'): Promise<void>;
  /** Forwards again (on the same port). */
  up(): Promise<void>;
  /** Connections forwarded so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

export async function startForwarder(target: { host: string; port: number }): Promise<Forwarder> {
  const links = new Set<Socket>();
  let mode: 'up' | 'drop' | 'refuse' = 'up';
  let forwarded = 0;
  const server: Server = createServer((client) => {
    if (mode !== 'up') return void client.destroy();
    forwarded++;
    const upstream = connect(target.port, target.host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      links.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        links.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as { port: number }).port;
  const cut = () => {
    for (const s of links) s.destroy();
  };
  return {
    port,
    get forwarded() {
      return forwarded;
    },
    async down(how) {
      mode = how;
      cut();
      if (how === 'refuse' && server.listening) await new Promise((r) => server.close(r));
    },
    async up() {
      if (!server.listening) {
        // The port was ours a moment ago; should another process take it meanwhile, retry a while.
        for (let attempt = 0; ; attempt++) {
          try {
            await listen(port);
            break;
          } catch (err) {
            if (attempt >= 20) throw err;
            await sleep(100);
          }
        }
      }
      mode = 'up';
    },
    async close() {
      mode = 'drop';
      cut();
      if (server.listening) await new Promise((r) => server.close(r));
    },
  };
}
