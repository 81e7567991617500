import { createServer, type Server } from 'node:http';

/** Listens, turning "address in use" into a message that names the port and the option to change it. */
export function listen(server: Server, host: string, port: number, option: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use; stop what runs there or choose another with ${option}`
            : `cannot listen on ${host}:${port}: ${err.code ?? err.message}`,
        ),
      );
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Checks that a port is free (0: picks one) and returns it, with the same message as `listen`
 * naming the option when it is taken. The demo's servers are then started on the ports found.
 */
export async function reservePort(host: string, port: number, option: string): Promise<number> {
  const probe = createServer();
  const bound = await listen(probe, host, port, option);
  await new Promise((r) => probe.close(r));
  return bound;
}
