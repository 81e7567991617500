// What the clients table adds to the store contract: public and native clients, web origins (and
// the preflight lookup by origin), token exchange policies; on SQLite and on PostgreSQL (skipped
// loudly without a server, a failure under CI=true).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { openPostgresStore } from '../../../src/store/postgres-store.ts';
import { openSqliteStore } from '../../../src/store/sqlite-store.ts';
import type { NewClient, Store } from '../../../src/store/types.ts';
import { createSchemaNames, postgresUrl, probePostgres, skipWithout } from '../../issuer/postgres-helpers.ts';

const T0 = 1_800_000_000_000;

const client = (id: string, overrides: Partial<NewClient> = {}): NewClient => ({
  id,
  name: id,
  secretHash: null,
  authMethod: 'none',
  jwks: null,
  grantTypes: ['authorization_code', 'refresh_token'],
  redirectUris: ['https://app.example/callback'],
  scopes: ['invoices:read'],
  roles: [],
  audiences: ['https://api.example'],
  claims: {},
  disabled: false,
  ...overrides,
});

function describeClients(name: string, open: () => Promise<Store>): void {
  describe(`clients table: ${name}`, () => {
    const withStore = (fn: (store: Store) => Promise<void>) => async () => {
      const store = await open();
      try {
        await store.migrate();
        await fn(store);
      } finally {
        await store.close();
      }
    };

    test(
      'a public browser app round-trips with its web origins; defaults are absent',
      withStore(async (store) => {
        const spa = client('spa', { webOrigins: ['https://app.example', 'http://127.0.0.1:5173'] });
        const created = await store.clients.create(spa);
        assert.deepEqual(created.webOrigins, ['http://127.0.0.1:5173', 'https://app.example']);
        assert.equal('applicationType' in created, false);
        assert.equal('tokenExchange' in created, false);
        assert.deepEqual(await store.clients.get('spa'), created);
        assert.deepEqual(await store.clients.list(), [created]);
      }),
    );

    test(
      'native apps and token exchange policies round-trip; null clears them',
      withStore(async (store) => {
        const policy = { audiences: ['https://downstream.example'], issuers: [] };
        await store.clients.create(
          client('cli', { applicationType: 'native', redirectUris: ['http://127.0.0.1/callback'] }),
        );
        await store.clients.create(
          client('orders', {
            authMethod: 'client_secret_basic',
            secretHash: 'sha256:x',
            tokenExchange: policy,
          }),
        );
        assert.equal((await store.clients.get('cli'))?.applicationType, 'native');
        assert.deepEqual((await store.clients.get('orders'))?.tokenExchange, policy);
        const cleared = await store.clients.update('orders', { tokenExchange: null });
        assert.equal(cleared !== undefined && 'tokenExchange' in cleared, false);
        const web = await store.clients.update('cli', { applicationType: 'web' });
        assert.equal(web !== undefined && 'applicationType' in web, false);
      }),
    );

    test(
      'an update replaces the web origins only when it names them',
      withStore(async (store) => {
        await store.clients.create(client('spa', { webOrigins: ['https://a.example'] }));
        assert.deepEqual((await store.clients.update('spa', { name: 'renamed' }))?.webOrigins, [
          'https://a.example',
        ]);
        assert.deepEqual(
          (await store.clients.update('spa', { webOrigins: ['https://b.example'] }))?.webOrigins,
          ['https://b.example'],
        );
        const none = await store.clients.update('spa', { webOrigins: [] });
        assert.equal(none !== undefined && 'webOrigins' in none, false);
        assert.equal(await store.clients.hasWebOrigin('https://b.example'), false);
      }),
    );

    test(
      'hasWebOrigin: exact match, enabled clients only, gone with the client',
      withStore(async (store) => {
        await store.clients.create(client('spa', { webOrigins: ['https://app.example'] }));
        await store.clients.create(
          client('other', { webOrigins: ['https://other.example'], disabled: true }),
        );
        assert.equal(await store.clients.hasWebOrigin('https://app.example'), true);
        for (const origin of [
          'https://app.example/',
          'https://APP.example',
          'http://app.example',
          'null',
          '',
        ])
          assert.equal(await store.clients.hasWebOrigin(origin), false, origin);
        assert.equal(await store.clients.hasWebOrigin('https://other.example'), false, 'disabled client');
        await store.clients.update('other', { disabled: false });
        assert.equal(await store.clients.hasWebOrigin('https://other.example'), true);
        assert.equal(await store.clients.remove('spa'), true);
        assert.equal(await store.clients.hasWebOrigin('https://app.example'), false);
        // A client made again under the same id starts without the old origins.
        await store.clients.create(client('spa'));
        assert.equal('webOrigins' in ((await store.clients.get('spa')) ?? {}), false);
      }),
    );

    test(
      'a failed create (id taken) writes no origins',
      withStore(async (store) => {
        await store.clients.create(client('spa'));
        await assert.rejects(
          store.clients.create(client('spa', { webOrigins: ['https://sneaky.example'] })),
          /already exists/,
        );
        assert.equal(await store.clients.hasWebOrigin('https://sneaky.example'), false);
      }),
    );
  });
}

describeClients('SQLite', async () => openSqliteStore(':memory:', { now: () => T0 }));

const problem = await probePostgres();
if (problem !== null) skipWithout('clients table on PostgreSQL', [`PostgreSQL not reachable (${problem})`]);
else {
  const schemas = createSchemaNames('clients');
  after(() => schemas.drop());
  describeClients('PostgreSQL', async () =>
    openPostgresStore(postgresUrl(), { now: () => T0, schema: schemas.fresh() }),
  );
}
