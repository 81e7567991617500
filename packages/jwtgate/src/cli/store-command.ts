import type { Command } from 'commander';
import type { Store } from '../store/types.ts';
import { storeOption } from './env-options.ts';
import { nameFlag, STORE_FLAGS } from './name-flags.ts';

/** The options every administration command of the issuer's store takes. */
export interface StoreOptions {
  readonly store: string;
  readonly json: boolean;
}

/**
 * Adds `name` under `group` with `--store <file|url>` and `--json`, the options every command
 * acting on the issuer's store shares.
 *
 * @example
 * storeCommand(clients, 'list', 'list clients').action(async (opts: StoreOptions) =>
 *   runOnStore(opts, (store) => listClients(store), formatClients));
 */
export function storeCommand(group: Command, name: string, description: string): Command {
  return group
    .command(name)
    .description(description)
    .addOption(storeOption('the issuer store: SQLite file or postgres:// URL'))
    .option('--json', 'print JSON', false);
}

/**
 * Opens the store named by `--store`, runs `work` on it and prints the result: as JSON with
 * `--json`, else as `text` renders it. The store is closed whatever happens.
 */
export async function runOnStore<T>(
  opts: StoreOptions,
  work: (store: Store) => Promise<T>,
  text: (result: T) => string,
): Promise<void> {
  // Loaded here, not at the top: a command that never opens a store starts without SQLite or pg.
  const { openStore } = await import('../issuer/open-store.ts');
  const store = await openStore(opts.store).catch((err: unknown) => {
    throw nameFlag(err, STORE_FLAGS);
  });
  try {
    const result = await work(store);
    process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : text(result));
  } finally {
    await store.close();
  }
}
