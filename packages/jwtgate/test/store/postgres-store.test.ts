// The PostgreSQL store against a real server: PGHOST, PGPORT, PGUSER, PGDATABASE (and PGPASSWORD,
// read by node-postgres itself); defaults 127.0.0.1, 5432, user `postgres` then the OS user,
// database `test`. Every run works in its own schemas (jwtgate_test_<random>_<n>) and drops them.
// Without a reachable server the tests are skipped loudly, except in CI, where that is a failure.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { IssuerError } from '../../src/issuer/errors.ts';
import { KeyRing } from '../../src/issuer/keys/key-ring.ts';
import { openStore } from '../../src/issuer/open-store.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/store/migrations.ts';
import { isPostgresUrl, openPostgresStore } from '../../src/store/postgres-store.ts';
import { isStoreUnavailable, StoreUnavailableError } from '../../src/store/store-unavailable.ts';
import type { RevocationRecord, Store } from '../../src/store/types.ts';
import { describeStoreContract } from './store-contract.ts';

const host = process.env.PGHOST || '127.0.0.1';
const port = process.env.PGPORT || '5432';
const database = process.env.PGDATABASE || 'test';
const candidateUsers = process.env.PGUSER ? [process.env.PGUSER] : ['postgres', osUser()].filter(unique);
const where = `${host}:${port}/${database}`;

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'postgres';
  }
}

function unique(value: string, index: number, all: string[]): boolean {
  return all.indexOf(value) === index;
}

function urlFor(user: string): string {
  const base = `postgres://${encodeURIComponent(user)}@`;
  // A socket directory goes into the query string (node-postgres reads `host` from there too).
  return host.startsWith('/')
    ? `${base}localhost:${port}/${encodeURIComponent(database)}?host=${encodeURIComponent(host)}`
    : `${base}${host}:${port}/${encodeURIComponent(database)}`;
}

/** The URL of the first candidate user the server accepts, or the reasons none was. */
async function probe(): Promise<{ url: string } | { errors: string[] }> {
  const errors: string[] = [];
  for (const user of candidateUsers) {
    const client = new pg.Client({ connectionString: urlFor(user), connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { url: urlFor(user) };
    } catch (error) {
      errors.push(`as ${user}: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  return { errors };
}

const found = await probe();

if ('errors' in found) {
  const message = `PostgreSQL not reachable at ${where} (${found.errors.join('; ')})`;
  if (process.env.CI === 'true') {
    test('PostgreSQL store', () => {
      assert.fail(
        `${message}: the PostgreSQL store tests cannot run in CI without a server. Set PGHOST, PGPORT, PGUSER, PGDATABASE.`,
      );
    });
  } else {
    test('PostgreSQL store', (t) => {
      console.warn(`\n*** ${message}: PostgreSQL store tests SKIPPED ***\n`);
      t.skip(`PostgreSQL not reachable at ${where}: skipped`);
    });
  }
} else {
  describePostgres(found.url);
}

function describePostgres(url: string): void {
  const runPrefix = `jwtgate_test_${randomBytes(6).toString('hex')}`;
  let schemaCount = 0;
  /** A schema name of this run; migrate() creates it. */
  const freshSchema = () => `${runPrefix}_${++schemaCount}`;
  const admin = new pg.Pool({ connectionString: url, max: 2 });

  after(async () => {
    const { rows } = await admin.query<{ name: string }>(
      'SELECT schema_name AS name FROM information_schema.schemata WHERE starts_with(schema_name, $1)',
      [runPrefix],
    );
    for (const { name } of rows) await admin.query(`DROP SCHEMA ${pg.escapeIdentifier(name)} CASCADE`);
    await admin.end();
  });

  describeStoreContract('postgres', async ({ now }) =>
    openPostgresStore(url, { now, schema: freshSchema() }),
  );

  describe('PostgreSQL store', () => {
    test('stores migrating the same schema at once apply each migration once', async () => {
      const schema = freshSchema();
      const stores = Array.from({ length: 4 }, () => openPostgresStore(url, { schema }));
      try {
        await Promise.all(stores.map((store) => store.migrate()));
        const { rows } = await admin.query(
          `SELECT version FROM ${pg.escapeIdentifier(schema)}.schema_migrations ORDER BY version`,
        );
        assert.deepEqual(
          rows.map((row) => row.version),
          MIGRATIONS.map((migration) => migration.version),
        );
        await Promise.all(stores.map((store) => store.migrate()));
        const again = await admin.query(
          `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(schema)}.schema_migrations`,
        );
        assert.equal(again.rows[0]?.n, MIGRATIONS.length);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    test('a restart keeps clients, keys, revocations, audit events and oidc payloads', async () => {
      const schema = freshSchema();
      const first = openPostgresStore(url, { schema });
      await first.migrate();
      const created = await first.clients.create({
        id: 'c-1',
        name: 'Orders',
        secretHash: 'sha256:abc',
        authMethod: 'client_secret_post',
        jwks: null,
        grantTypes: ['client_credentials'],
        redirectUris: [],
        scopes: ['orders:read'],
        roles: ['reader'],
        audiences: ['https://orders.example'],
        claims: { tenant: 't-1' },
        disabled: false,
      });
      const signingKey = {
        kid: 'k-1',
        alg: 'ES256',
        privateJwk: 'enc:v1:iv.tag.ct',
        publicJwk: { kty: 'EC', kid: 'k-1' },
        state: 'current',
        createdAt: 1,
        activatesAt: null,
        removeAt: null,
      } as const;
      await first.keys.insert(signingKey);
      const revoked = await first.revocations.add('j-1', 2_000_000_000);
      const event = await first.audit.append({
        type: 'client.created',
        actor: 'admin',
        subject: 'c-1',
        detail: {},
      });
      await first.oidc.upsert('Grant', 'g-1', { accountId: 'u-1' }, undefined);
      await first.close();

      const restarted = openPostgresStore(url, { schema });
      try {
        await restarted.migrate();
        assert.deepEqual(await restarted.clients.list(), [created]);
        assert.deepEqual(await restarted.keys.list(), [signingKey]);
        assert.deepEqual(await restarted.revocations.since(0), [revoked]);
        assert.deepEqual(await restarted.audit.recent(10), [event]);
        assert.deepEqual(await restarted.oidc.find('Grant', 'g-1'), { accountId: 'u-1' });
        const next = await restarted.revocations.add('j-2', 2_000_000_000);
        assert.ok(next.seq > revoked.seq, 'the feed cursor continues across restarts');
      } finally {
        await restarted.close();
      }
    });

    test('refuses a database whose schema is newer than this code knows, and leaves it alone', async () => {
      const schema = freshSchema();
      const store = openPostgresStore(url, { schema });
      await store.migrate();
      await store.revocations.add('j-1', 2_000_000_000);
      await store.close();
      await admin.query(
        `INSERT INTO ${pg.escapeIdentifier(schema)}.schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)`,
        [LATEST_SCHEMA_VERSION + 1, 'from the future', 0],
      );

      const reopened = openPostgresStore(url, { schema });
      try {
        await assert.rejects(reopened.migrate(), (error: Error) => {
          assert.match(error.message, new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1}, newer than`));
          assert.match(error.message, new RegExp(`knows \\(${LATEST_SCHEMA_VERSION}\\)`));
          return true;
        });
        assert.equal(await reopened.revocations.isRevoked('j-1'), true);
      } finally {
        await reopened.close();
      }
    });

    test('concurrent adds from two pools give a feed that a concurrent reader follows without a gap', async () => {
      const schema = freshSchema();
      const a = openPostgresStore(url, { schema });
      const b = openPostgresStore(url, { schema });
      const reader = openPostgresStore(url, { schema });
      try {
        await Promise.all([a.migrate(), b.migrate()]);
        const perWriter = 150;
        let writing = true;
        const seen: RevocationRecord[] = [];
        // The reader follows the feed as a gateway does: cursor = the last seq it has seen.
        const follow = (async () => {
          let cursor = 0;
          for (;;) {
            const done = !writing;
            const batch = await reader.revocations.since(cursor, 50);
            seen.push(...batch);
            cursor = batch.at(-1)?.seq ?? cursor;
            if (done && batch.length === 0) return;
          }
        })();
        const adds = (store: Store, name: string) =>
          Promise.all(
            Array.from({ length: perWriter }, (_, i) => store.revocations.add(`${name}-${i}`, 2_000_000_000)),
          );
        const added = (await Promise.all([adds(a, 'a'), adds(b, 'b')])).flat();
        writing = false;
        await follow;

        const seqs = seen.map((entry) => entry.seq);
        for (let i = 1; i < seqs.length; i++) assert.ok((seqs[i] as number) > (seqs[i - 1] as number));
        assert.equal(
          new Set(added.map((entry) => entry.seq)).size,
          2 * perWriter,
          'every add got its own seq',
        );
        assert.deepEqual(
          [...seen].sort((x, y) => x.seq - y.seq),
          [...added].sort((x, y) => x.seq - y.seq),
          'the reader saw every entry, none skipped',
        );
        assert.deepEqual(
          await reader.revocations.since(0, 1000),
          [...added].sort((x, y) => x.seq - y.seq),
        );
      } finally {
        await Promise.all([a.close(), b.close(), reader.close()]);
      }
    });

    test('an add waits for an add in progress, so no later seq commits before an earlier one', async () => {
      const schema = freshSchema();
      const a = openPostgresStore(url, { schema });
      const b = openPostgresStore(url, { schema });
      const blocker = await admin.connect();
      try {
        await a.migrate();
        // An uncommitted row for j-1 makes a's add of j-1 wait inside its transaction, lock held.
        await blocker.query('BEGIN');
        await blocker.query(
          `INSERT INTO ${pg.escapeIdentifier(schema)}.revocations (jti, exp, revoked_at) VALUES ('j-1', 2000000000, 0)`,
        );
        const first = a.revocations.add('j-1', 2_000_000_000);
        await waitUntil(async () => (await waitingAdds()) >= 1);
        let secondDone = false;
        const second = b.revocations.add('j-2', 2_000_000_000).finally(() => {
          secondDone = true;
        });
        // Without serialised adds, the second one would commit (secondDone) instead of waiting.
        await waitUntil(async () => secondDone || (await waitingAdds()) >= 2);
        assert.equal(secondDone, false, 'the second add waits for the first to finish');
        await blocker.query('COMMIT');
        const [one, two] = await Promise.all([first, second]);
        assert.ok(two.seq > one.seq);
        assert.deepEqual(await b.revocations.since(0), [one, two]);
      } finally {
        await blocker.query('ROLLBACK').catch(() => {});
        blocker.release();
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('methods used before migrate() fail rather than creating tables ad hoc', async () => {
      const store = openPostgresStore(url, { schema: freshSchema() });
      try {
        await assert.rejects(store.clients.list(), /relation "clients" does not exist/);
      } finally {
        await store.close();
      }
    });

    test('rejects a schema name that is not a plain identifier, and an empty URL', () => {
      assert.throws(() => openPostgresStore(url, { schema: 'x; DROP TABLE clients' }), /plain identifier/);
      assert.throws(() => openPostgresStore(''), /URL is empty/);
    });

    test('close is idempotent, also when called concurrently', async () => {
      const store = openPostgresStore(url, { schema: freshSchema() });
      await store.migrate();
      await Promise.all([store.close(), store.close()]);
      await store.close();
    });

    test('exclusive() is one lock across stores: critical sections of two pools never overlap', async () => {
      const schema = freshSchema();
      const [a, b] = [openPostgresStore(url, { schema }), openPostgresStore(url, { schema })] as const;
      try {
        await a.migrate();
        await b.migrate();
        let inside = 0;
        let overlapped = false;
        const order: string[] = [];
        const section = (name: string) => async () => {
          inside++;
          if (inside > 1) overlapped = true;
          order.push(`${name}+`);
          await new Promise((r) => setTimeout(r, 60));
          order.push(`${name}-`);
          inside--;
          return name;
        };
        const results = await Promise.all([
          a.exclusive('test-lock', section('a1')),
          b.exclusive('test-lock', section('b1')),
          a.exclusive('test-lock', section('a2')),
          b.exclusive('test-lock', section('b2')),
        ]);
        assert.deepEqual(results, ['a1', 'b1', 'a2', 'b2']);
        assert.equal(overlapped, false, order.join(' '));
        // Another name is another lock; a throwing section releases it.
        await assert.rejects(
          a.exclusive('test-lock', async () => {
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await b.exclusive('test-lock', async () => 'free again'), 'free again');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('replicas on one database: one first key, one scheduled rotation, each transition written once', async () => {
      const schema = freshSchema();
      let now = 1_800_000_000_000;
      const stores = Array.from({ length: 3 }, () => openPostgresStore(url, { schema, now: () => now }));
      const rings: KeyRing[] = [];
      try {
        for (const store of stores) await store.migrate();
        const ring = (store: Store, alg: 'ES256' | 'EdDSA') =>
          new KeyRing({
            store,
            alg,
            prePublishMs: 60_000,
            retentionMs: 360_000,
            rotateEveryMs: null,
            kek: null,
            pollMs: 3_600_000,
            now: () => now,
            onError: (err) => {
              throw err;
            },
          });
        rings.push(...stores.map((s) => ring(s, 'ES256')));
        const first = await Promise.all(rings.map((r) => r.start()));
        assert.equal(new Set(first.map((s) => s.id)).size, 1, 'every replica publishes the same key');
        assert.equal((await stores[0]?.keys.list())?.length, 1, 'one first key, not one per replica');
        // Every replica now wants EdDSA: the switch is one rotation, made by whichever takes the lock.
        await Promise.all(rings.map((r) => r.stop()));
        rings.length = 0;
        rings.push(...stores.map((s) => ring(s, 'EdDSA')));
        await Promise.all(rings.map((r) => r.start()));
        // Same clock instant for both keys: list() then orders by kid, so sort by state here.
        const keys = ((await stores[0]?.keys.list()) ?? []).sort((x, y) => x.state.localeCompare(y.state));
        assert.deepEqual(
          keys.map((k) => [k.alg, k.state]),
          [
            ['ES256', 'current'],
            ['EdDSA', 'next'],
          ],
        );
        const next = keys[1]?.kid;
        assert.ok(
          rings.every((r) => r.snapshot().records.some((k) => k.kid === next)),
          'published everywhere',
        );
        assert.ok(
          rings.every((r) => r.signingKey().alg === 'ES256'),
          'nobody signs with it yet',
        );
        now += 60_001;
        await Promise.all(rings.map((r) => r.refresh()));
        assert.ok(
          rings.every((r) => r.signingKey().kid === next),
          'all sign with the new key at the same instant',
        );
        const activated = await stores[0]?.audit.recent(10, ['key.activated', 'key.rotated']);
        assert.deepEqual(activated?.map((e) => e.type).sort(), ['key.activated', 'key.rotated']);
      } finally {
        await Promise.all(rings.map((r) => r.stop()));
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    test('a pooled connection killed by the server is replaced; an unreachable server is StoreUnavailableError', async () => {
      const marker = `jwtgate_kill_${randomBytes(4).toString('hex')}`;
      const store = openPostgresStore(`${url}${url.includes('?') ? '&' : '?'}application_name=${marker}`, {
        schema: freshSchema(),
      });
      try {
        await store.migrate();
        await store.revocations.add('before', 2_000_000_000);
        const { rows } = await admin.query(
          'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
          [marker],
        );
        assert.ok((rows[0]?.n ?? 0) >= 1, 'the store had a connection to kill');
        assert.equal(await store.revocations.isRevoked('before'), true);
        await store.revocations.add('after', 2_000_000_000);
        assert.equal(await store.revocations.isRevoked('after'), true);
      } finally {
        await store.close();
      }
      const down = openPostgresStore('postgres://postgres@127.0.0.1:1/test');
      try {
        const error = await down.revocations.isRevoked('x').then(
          () => assert.fail('expected a failure'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof StoreUnavailableError, String(error));
        assert.equal(isStoreUnavailable(error), true);
        assert.equal(isStoreUnavailable(new Error('other', { cause: error })), true);
        assert.equal(isStoreUnavailable(new Error('constraint')), false);
      } finally {
        await down.close();
      }
    });
  });

  describe('openStore with a PostgreSQL URL', () => {
    test('tells PostgreSQL URLs from file paths', () => {
      assert.equal(isPostgresUrl('postgres://db/jwtgate'), true);
      assert.equal(isPostgresUrl('postgresql://u@db:5432/jwtgate'), true);
      assert.equal(isPostgresUrl('POSTGRES://db/jwtgate'), true);
      assert.equal(isPostgresUrl('.data/issuer.db'), false);
      assert.equal(isPostgresUrl('/var/lib/postgres/issuer.db'), false);
    });

    for (const scheme of ['postgres', 'postgresql']) {
      test(`a ${scheme}:// URL opens and migrates the PostgreSQL store`, async () => {
        const schema = freshSchema();
        await admin.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
        const location = `${url.replace(/^postgres:/, `${scheme}:`)}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        const store = await openStore(location);
        try {
          await store.revocations.add('j-1', 2_000_000_000);
          const { rows } = await admin.query(`SELECT jti FROM ${pg.escapeIdentifier(schema)}.revocations`);
          assert.deepEqual(
            rows,
            [{ jti: 'j-1' }],
            'the tables are in PostgreSQL, not in a file named like the URL',
          );
        } finally {
          await store.close();
        }
      });
    }

    test('an unreachable server is a configuration error that does not show the password', async () => {
      await assert.rejects(openStore('postgres://jwtgate:s3cret@127.0.0.1:1/jwtgate'), (error: Error) => {
        assert.ok(error instanceof IssuerError);
        assert.equal((error as IssuerError).code, 'ERR_ISSUER_CONFIG');
        assert.match(
          error.message,
          /cannot open the store postgres:\/\/jwtgate:\*\*\*@127\.0\.0\.1:1\/jwtgate/,
        );
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      });
    });
  });

  /** How many sessions of this database wait on a lock in a revocation add. */
  async function waitingAdds(): Promise<number> {
    const { rows } = await admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' " +
        "AND (query LIKE 'INSERT INTO revocations %' OR query LIKE 'SELECT pg_advisory_xact_lock(%revocations%')",
    );
    return rows[0]?.n ?? 0;
  }
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
