// bench/gateway: the rows, one module each in rows/ (see RowSpec in setup.ts), in their order.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RowSpec } from './setup.ts';

export async function loadRows(): Promise<RowSpec[]> {
  const dir = join(import.meta.dirname, 'rows');
  const rows: RowSpec[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.ts'))
    .sort()) {
    const mod = (await import(pathToFileURL(join(dir, name)).href)) as { default?: RowSpec | RowSpec[] };
    const specs = Array.isArray(mod.default) ? mod.default : [mod.default];
    for (const spec of specs) {
      if (spec === undefined || typeof spec.start !== 'function')
        throw new Error(
          `bench/gateway/rows/${name}: the default export must be a RowSpec (or a list of them)`,
        );
      rows.push(spec);
    }
  }
  const keys = new Set<string>();
  for (const r of rows) {
    if (keys.has(r.key)) throw new Error(`bench/gateway/rows: two rows with key ${r.key}`);
    keys.add(r.key);
  }
  return rows.sort((a, b) => a.order - b.order);
}
