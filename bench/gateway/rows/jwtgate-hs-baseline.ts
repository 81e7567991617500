// Row (extra): jwtgate HS256, token reused, from another checkout (BENCH_BASELINE=<its root>,
// with its dependencies installed or node_modules linked): a change measured against what it
// changes, in the same interleaved rounds. `--rows=bare,hs,hs-base`.

import { join, resolve } from 'node:path';
import type { RowSpec } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';

const row: RowSpec = {
  key: 'hs-base',
  order: 21,
  extra: true,
  label: (s) =>
    `jwtgate HS256, token reused, baseline ${process.env.BENCH_BASELINE ?? '(unset)'}${s.workers > 1 ? ` (--workers ${s.workers})` : ''}`,
  does: 'the same as the hs row, another version',
  start(ctx) {
    const base = process.env.BENCH_BASELINE;
    if (!base) throw new Error('hs-base: set BENCH_BASELINE to the root of another checkout');
    return startJwtgate(ctx, {
      path: '/hs/items',
      token: (f) => f.hsToken,
      cli: join(resolve(base), 'packages/jwtgate/src/cli.ts'),
    });
  },
};
export default row;
