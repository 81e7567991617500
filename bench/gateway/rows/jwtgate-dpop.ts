// Rows (extra): jwtgate gateway, ES256 token reused, as Bearer (dpop-bearer) and bound to a DPoP
// key with a fresh proof on every request (dpop), each its own gateway process of the same config
// (start-jwtgate.ts; the es provider takes DPoP as `optional`). The token has the same claims in
// both but cnf.jkt, and the verified-token cache holds it in both: what the dpop row adds is the
// proof check (parse, ES256 signature, htm/htu/iat/ath/jkt, the replay cache). Its note gives that
// cost: its CPU per request less dpop-bearer's, the median of per-round differences.
//
//   npm run bench:gateway -- --rows=bare,dpop-bearer,dpop

import type { RowSpec, Setup } from '../setup.ts';
import { startJwtgate } from '../start-jwtgate.ts';

const workers = (s: Setup) => (s.workers > 1 ? ` (--workers ${s.workers})` : '');

const rows: RowSpec[] = [
  {
    key: 'dpop-bearer',
    order: 34,
    extra: true,
    label: (s) => `jwtgate ES256, token reused, as Bearer (the dpop row's baseline)${workers(s)}`,
    does: 'every check, access line, metrics',
    start: (ctx) => startJwtgate(ctx, { path: '/es/items', token: (f) => f.esToken }),
  },
  {
    key: 'dpop',
    order: 35,
    extra: true,
    label: (s) => `jwtgate ES256, DPoP-bound token reused, fresh proof each request${workers(s)}`,
    does: 'every check and the DPoP proof check, access line, metrics',
    over: { key: 'dpop-bearer', what: 'proof check' },
    start: (ctx) => startJwtgate(ctx, { path: '/es/items', token: (f) => f.esBoundToken, dpop: true }),
  },
];
export default rows;
