// bench/store: the issuer store's hot calls (a client lookup, a revocation check, an audit append,
// an oidc payload upsert and find) through the Store on a SQLite file, beside the same SQL run
// directly on a node:sqlite connection to the same file, in this process and run. The ratio is
// the cost of the store's layers (statement building, the executor, row mapping) over the bare
// database. Prints a markdown table. Not a test: nothing here fails on a number.
//
//   npm run bench:store          (BENCH_SECONDS=2 for steadier figures)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../../packages/jwtgate/src/store/sqlite-store.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);

/** Calls `fn` in a loop for `seconds` (after a short warm-up); returns calls per second. */
async function rate(fn: () => unknown, seconds: number): Promise<number> {
  const run = async (ms: number) => {
    let n = 0;
    const start = performance.now();
    const end = start + ms;
    while (performance.now() < end) {
      for (let i = 0; i < 50; i++) await fn();
      n += 50;
    }
    return (n * 1000) / (performance.now() - start);
  };
  await run(200);
  return run(seconds * 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-bench-store-'));
const file = join(dir, 'store.db');
const store = openSqliteStore(file);
await store.migrate();
await store.clients.create({
  id: 'c-1',
  name: 'Bench',
  secretHash: 'sha256:x',
  authMethod: 'client_secret_basic',
  jwks: null,
  grantTypes: ['client_credentials'],
  redirectUris: [],
  scopes: ['read'],
  roles: ['r'],
  audiences: ['https://api.example'],
  claims: {},
  disabled: false,
});
await store.revocations.add('revoked-1', 2_000_000_000);
const raw = new DatabaseSync(file);
raw.exec('PRAGMA busy_timeout = 5000');

const clientSql = raw.prepare('SELECT * FROM clients WHERE id = ?');
const revokedSql = raw.prepare('SELECT 1 AS found FROM revocations WHERE jti = ?');
const auditSql = raw.prepare(
  'INSERT INTO audit_events (at, type, actor, subject, detail) VALUES (?, ?, ?, ?, ?) RETURNING *',
);
const upsertSql = raw.prepare(
  'INSERT INTO oidc_payloads (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at) ' +
    'VALUES (?, ?, ?, NULL, NULL, NULL, ?, NULL) ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, ' +
    'expires_at = excluded.expires_at, consumed_at = NULL',
);
const findSql = raw.prepare(
  'SELECT payload, expires_at, consumed_at FROM oidc_payloads WHERE model = ? AND id = ?',
);

let n = 0;
const cases: [string, () => unknown, () => unknown][] = [
  ['clients.get', () => store.clients.get('c-1'), () => clientSql.get('c-1')],
  ['revocations.isRevoked', () => store.revocations.isRevoked('nope'), () => revokedSql.get('nope')],
  [
    'audit.append',
    () => store.audit.append({ type: 'token.issued', actor: 'c-1', subject: `j-${n++}`, detail: { a: 1 } }),
    () => auditSql.get(Date.now(), 'token.issued', 'c-1', `j-${n++}`, '{"a":1}'),
  ],
  [
    'oidc.upsert + find',
    async () => {
      await store.oidc.upsert('Session', 's-1', { n: n++ }, 3600);
      return store.oidc.find('Session', 's-1');
    },
    () => {
      upsertSql.run('Session', 's-2', JSON.stringify({ n: n++ }), Date.now() + 3_600_000);
      return findSql.get('Session', 's-2');
    },
  ],
];

const rows: string[] = [];
for (const [name, viaStore, bare] of cases) {
  const b = await rate(bare, SECONDS);
  const s = await rate(viaStore, SECONDS);
  rows.push(
    `| ${name} | ${Math.round(b).toLocaleString('en')} | ${Math.round(s).toLocaleString('en')} | ${(s / b).toFixed(2)}x |`,
  );
}
raw.close();
await store.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  `\nthe issuer store on a SQLite file (WAL), one call at a time (Node ${process.version}, ${SECONDS} s per cell)\n`,
);
console.log('| call | bare node:sqlite (calls/s) | through the Store (calls/s) | store / bare |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
console.log('\nBare: the same SQL through prepared node:sqlite statements, without the store around it.');
