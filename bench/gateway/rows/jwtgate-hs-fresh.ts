// Row: jwtgate gateway, HS256, fresh token each request (start-jwtgate.ts: two providers, scope check, identity header,
// access line per request to /dev/null, default token cache).

import type { RowSpec } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';

const row: RowSpec = {
  key: 'hs-fresh',
  order: 40,
  label: (s) => `jwtgate HS256, fresh token each request${s.workers > 1 ? ` (--workers ${s.workers})` : ''}`,
  does: 'every check, access line, metrics',
  start: (ctx) => startJwtgate(ctx, { path: '/hs/items', token: (f) => f.firstFresh, fresh: true }),
};
export default row;
