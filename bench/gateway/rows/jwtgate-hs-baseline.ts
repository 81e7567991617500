// Rows (extra): jwtgate HS256, token reused, from other checkouts: BENCH_BASELINE=<root>[,<root>...]
// (each with its dependencies installed or node_modules linked), keys hs-base1, hs-base2, ...:
// changes measured against what they change, in the same interleaved rounds.
//
//   BENCH_BASELINE=/tmp/before npm run bench:gateway -- --only=A --rows=bare,hs,hs-base1

import { basename, join, resolve } from 'node:path';
import type { RowSpec } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';

const roots = (process.env.BENCH_BASELINE ?? '').split(',').filter((r) => r !== '');

const rows: RowSpec[] = roots.map((root, i) => ({
  key: `hs-base${i + 1}`,
  order: 21 + i / 100,
  extra: true,
  label: (s) =>
    `jwtgate HS256, token reused, ${basename(root)}${s.workers > 1 ? ` (--workers ${s.workers})` : ''}`,
  does: 'the same as the hs row, another version',
  start: (ctx) =>
    startJwtgate(ctx, {
      path: '/hs/items',
      token: (f) => f.hsToken,
      cli: join(resolve(root), 'packages/jwtgate/src/cli.ts'),
    }),
}));
export default rows;
