// Row: jwtgate HS256, token reused, on a route that also sends the upstream a signed identity
// token (ES256, minted once per token and route and reused until shortly before it expires),
// beside the same route without it (`hs`, its baseline; the issue's goal: within 5%).

import type { RowSpec } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';

const row: RowSpec = {
  key: 'hs-signed',
  order: 20.5,
  extra: true,
  baseline: 'hs',
  label: (s) =>
    `jwtgate HS256, token reused, signed identity${s.workers > 1 ? ` (--workers ${s.workers})` : ''}`,
  does: 'the hs row plus a signed identity token to the upstream (cached per token)',
  start: (ctx) => startJwtgate(ctx, { path: '/hs-signed/items', token: (f) => f.hsToken }),
};
export default row;
