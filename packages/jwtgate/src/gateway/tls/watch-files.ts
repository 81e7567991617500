import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Calls `changed` (once for a burst of events, 150 ms after the last) when one of `files` changes.
 * Folders are watched, not the files: a file replaced by a rename (how certificates are rotated
 * safely) keeps being followed, as does a Kubernetes Secret volume's `..data` link swap.
 */
export function watchFiles(files: readonly string[], changed: () => void): { close(): void } {
  const byDir = new Map<string, Set<string>>();
  for (const f of files) {
    const full = resolve(f);
    const names = byDir.get(dirname(full)) ?? new Set<string>();
    names.add(basename(full));
    byDir.set(dirname(full), names);
  }
  let timer: NodeJS.Timeout | null = null;
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const w = watch(dir, (_event, file) => {
        if (file === null || (!names.has(file) && file !== '..data')) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(changed, 150);
      });
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // A folder gone after load: SIGHUP still reloads.
    }
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
