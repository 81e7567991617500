/**
 * `Store.exclusive` for a store only one process writes (SQLite): named locks queued in this
 * process. Each caller re-reads what it needs inside the lock, so a write by the CLI in between
 * is seen rather than overwritten.
 */
export function processLock(): <T>(name: string, fn: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (name, fn) => {
    const before = tails.get(name) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => {});
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    return run;
  };
}
