/**
 * Stops a server on SIGINT or SIGTERM, then exits 0. A repeated signal while it stops is ignored:
 * under `npm start` a Ctrl-C reaches the process twice, from the terminal and forwarded by npm,
 * and the second must not cut the orderly close short.
 */
export function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`jwtgate: stopping failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
