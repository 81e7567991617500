// Row: jwtgate gateway, ES256, token reused (start-jwtgate.ts: two providers, scope check, identity header,
// access line per request to /dev/null, default token cache).

import type { RowSpec } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';

const row: RowSpec = {
  key: 'es',
  order: 30,
  label: (s) => `jwtgate ES256, token reused${s.workers > 1 ? ` (--workers ${s.workers})` : ''}`,
  does: 'every check, access line, metrics',
  start: (ctx) => startJwtgate(ctx, { path: '/es/items', token: (f) => f.esToken }),
};
export default row;
