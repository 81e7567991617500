// The behaviour every Store must have, written once and run against each implementation (SQLite
// now, PostgreSQL later). `open` must return a store over an empty database that reads time from
// the given clock; the contract migrates it and closes it.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { NewClient, NewUser, PasskeyRecord, SigningKeyRecord, Store } from '../../src/store/types.ts';

export interface ContractStoreOptions {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** 2027-01-15T08:00:00Z, in milliseconds. */
const T0 = 1_800_000_000_000;

export function describeStoreContract(
  name: string,
  open: (options: ContractStoreOptions) => Promise<Store>,
): void {
  describe(`Store contract: ${name}`, () => {
    let clockMs = T0;
    let store: Store;
    const tick = (ms: number) => {
      clockMs += ms;
    };

    beforeEach(async () => {
      clockMs = T0;
      store = await open({ now: () => clockMs });
      await store.migrate();
    });

    afterEach(async () => {
      await store.close();
    });

    test('migrate is idempotent and keeps data', async () => {
      await store.revocations.add('j-1', 2_000_000_000);
      await store.migrate();
      await store.migrate();
      assert.equal(await store.revocations.isRevoked('j-1'), true);
    });

    describe('clients', () => {
      test('create stamps the times and get round-trips every field, JSON included', async () => {
        const input = client('c-1', {
          jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] },
          claims: { tenant: 't-1', nested: { list: [1, 'two', null, true] }, unicode: 'Zoë ✓' },
          authMethod: 'private_key_jwt',
          secretHash: null,
        });
        const created = await store.clients.create(input);
        assert.deepEqual(created, { ...input, createdAt: T0, updatedAt: T0 });
        assert.deepEqual(await store.clients.get('c-1'), created);
      });

      test('booleans and empty lists round-trip', async () => {
        await store.clients.create(
          client('c-1', {
            disabled: true,
            grantTypes: [],
            redirectUris: [],
            scopes: [],
            roles: [],
            audiences: [],
          }),
        );
        const got = await store.clients.get('c-1');
        assert.equal(got?.disabled, true);
        assert.deepEqual(got?.grantTypes, []);
        assert.deepEqual(got?.audiences, []);
      });

      test('get of an unknown id is undefined', async () => {
        assert.equal(await store.clients.get('nope'), undefined);
      });

      test('creating an existing id rejects and leaves the first intact', async () => {
        await store.clients.create(client('c-1', { name: 'first' }));
        await assert.rejects(store.clients.create(client('c-1', { name: 'second' })), /already exists/);
        assert.equal((await store.clients.get('c-1'))?.name, 'first');
      });

      test('list is oldest first, then by id', async () => {
        await store.clients.create(client('b'));
        tick(1000);
        await store.clients.create(client('c'));
        await store.clients.create(client('a'));
        assert.deepEqual(
          (await store.clients.list()).map((c) => c.id),
          ['b', 'a', 'c'],
        );
      });

      test('update changes only what is given and advances updatedAt', async () => {
        await store.clients.create(client('c-1'));
        tick(5000);
        const updated = await store.clients.update('c-1', {
          name: 'renamed',
          scopes: ['orders:write'],
          claims: { tier: 'gold' },
          secretHash: null,
          roles: undefined,
        });
        const expected = {
          ...client('c-1'),
          name: 'renamed',
          scopes: ['orders:write'],
          claims: { tier: 'gold' },
          secretHash: null,
          createdAt: T0,
          updatedAt: T0 + 5000,
        };
        assert.deepEqual(updated, expected);
        assert.deepEqual(await store.clients.get('c-1'), expected);
      });

      test('update cannot change id or createdAt, and may set updatedAt', async () => {
        await store.clients.create(client('c-1'));
        const sneaky = { id: 'other', createdAt: 1, updatedAt: T0 + 42 } as Parameters<
          Store['clients']['update']
        >[1];
        const updated = await store.clients.update('c-1', sneaky);
        assert.equal(updated?.id, 'c-1');
        assert.equal(updated?.createdAt, T0);
        assert.equal(updated?.updatedAt, T0 + 42);
        assert.equal(await store.clients.get('other'), undefined);
      });

      test('update of an unknown id is undefined', async () => {
        assert.equal(await store.clients.update('nope', { name: 'x' }), undefined);
      });

      test('dpop round-trips: required is kept, allowed (the default) reads back absent', async () => {
        const created = await store.clients.create(client('c-1', { dpop: 'required' }));
        assert.equal(created.dpop, 'required');
        assert.equal((await store.clients.get('c-1'))?.dpop, 'required');
        const allowed = await store.clients.update('c-1', { dpop: null });
        assert.equal(allowed?.dpop, undefined);
        await store.clients.create(client('c-2', { dpop: 'allowed' }));
        assert.deepEqual(await store.clients.get('c-2'), { ...client('c-2'), createdAt: T0, updatedAt: T0 });
      });

      test('remove reports whether it removed', async () => {
        await store.clients.create(client('c-1'));
        assert.equal(await store.clients.remove('c-1'), true);
        assert.equal(await store.clients.remove('c-1'), false);
        assert.equal(await store.clients.get('c-1'), undefined);
        assert.deepEqual(await store.clients.list(), []);
      });
    });

    describe('users', () => {
      test('create stamps the times, starts unlocked, and get round-trips every field', async () => {
        const input = user('usr_1', 'Zoë', {
          email: 'zoe@example.com',
          name: 'Zoë Ñandú ✓',
          roles: { webapp: ['billing', 'reader'], '*': ['staff'], empty: [] },
          admin: true,
        });
        const created = await store.users.create(input);
        assert.deepEqual(created, {
          ...input,
          failedLogins: 0,
          lockedUntil: null,
          createdAt: T0,
          updatedAt: T0,
        });
        assert.deepEqual(await store.users.get('usr_1'), created);
        assert.deepEqual(await store.users.getByUsername('Zoë'), created);
      });

      test('nullable fields, false flags and no roles round-trip', async () => {
        await store.users.create(
          user('usr_1', 'bob', { email: null, name: null, roles: {}, disabled: true }),
        );
        const got = await store.users.get('usr_1');
        assert.equal(got?.email, null);
        assert.equal(got?.name, null);
        assert.deepEqual(got?.roles, {});
        assert.equal(got?.admin, false);
        assert.equal(got?.disabled, true);
      });

      test('usernames are stored NFKC-normalized and trimmed, and looked up case-insensitively', async () => {
        // Full-width letters (NFKC folds them to ASCII) and surrounding spaces.
        await store.users.create(user('usr_1', '  \uFF21lice\t'));
        const got = await store.users.get('usr_1');
        assert.equal(got?.username, 'Alice');
        for (const spelling of ['Alice', 'alice', 'ALICE', ' alice ', '\uFF41LICE'])
          assert.equal((await store.users.getByUsername(spelling))?.id, 'usr_1', spelling);
        assert.equal(await store.users.getByUsername('alic'), undefined);
        assert.equal(await store.users.getByUsername('usr_1'), undefined, 'not by id');
      });

      test('get and getByUsername of an unknown user are undefined', async () => {
        assert.equal(await store.users.get('nope'), undefined);
        assert.equal(await store.users.getByUsername('nope'), undefined);
      });

      test('a taken id or username (in any case) rejects and leaves the first intact', async () => {
        await store.users.create(user('usr_1', 'alice', { name: 'first' }));
        await assert.rejects(store.users.create(user('usr_1', 'other')), /already exists/);
        await assert.rejects(store.users.create(user('usr_2', 'alice')), /already exists/);
        await assert.rejects(store.users.create(user('usr_3', 'ALICE ')), /already exists/);
        assert.equal((await store.users.get('usr_1'))?.name, 'first');
        assert.equal(await store.users.get('usr_2'), undefined);
        assert.equal(await store.users.get('usr_3'), undefined);
        assert.deepEqual(
          (await store.users.list()).map((u) => u.id),
          ['usr_1'],
        );
      });

      test('list is oldest first, then by id', async () => {
        await store.users.create(user('usr_b', 'b'));
        tick(1000);
        await store.users.create(user('usr_c', 'c'));
        await store.users.create(user('usr_a', 'a'));
        assert.deepEqual(
          (await store.users.list()).map((u) => u.id),
          ['usr_b', 'usr_a', 'usr_c'],
        );
      });

      test('update changes only what is given and advances updatedAt', async () => {
        await store.users.create(user('usr_1', 'alice'));
        tick(5000);
        const updated = await store.users.update('usr_1', {
          roles: { webapp: ['admin'] },
          failedLogins: 3,
          lockedUntil: T0 + 60_000,
          email: null,
          name: undefined,
        });
        const expected = {
          ...user('usr_1', 'alice'),
          roles: { webapp: ['admin'] },
          email: null,
          failedLogins: 3,
          lockedUntil: T0 + 60_000,
          createdAt: T0,
          updatedAt: T0 + 5000,
        };
        assert.deepEqual(updated, expected);
        assert.deepEqual(await store.users.get('usr_1'), expected);
        const unlocked = await store.users.update('usr_1', { failedLogins: 0, lockedUntil: null });
        assert.equal(unlocked?.failedLogins, 0);
        assert.equal(unlocked?.lockedUntil, null);
      });

      test('update may rename, keeping names unique case-insensitively', async () => {
        await store.users.create(user('usr_1', 'alice'));
        await store.users.create(user('usr_2', 'bob'));
        await assert.rejects(store.users.update('usr_2', { username: 'Alice' }), /already exists/);
        assert.equal((await store.users.get('usr_2'))?.username, 'bob');
        const renamed = await store.users.update('usr_1', { username: ' Alicia ' });
        assert.equal(renamed?.username, 'Alicia');
        assert.equal((await store.users.getByUsername('ALICIA'))?.id, 'usr_1');
        assert.equal(await store.users.getByUsername('alice'), undefined);
        assert.equal((await store.users.update('usr_2', { username: 'alice' }))?.username, 'alice');
        assert.equal((await store.users.update('usr_1', { username: 'ALICIA' }))?.username, 'ALICIA');
      });

      test('update cannot change id or createdAt, and may set updatedAt', async () => {
        await store.users.create(user('usr_1', 'alice'));
        const sneaky = { id: 'other', createdAt: 1, updatedAt: T0 + 42 } as Parameters<
          Store['users']['update']
        >[1];
        const updated = await store.users.update('usr_1', sneaky);
        assert.equal(updated?.id, 'usr_1');
        assert.equal(updated?.createdAt, T0);
        assert.equal(updated?.updatedAt, T0 + 42);
        assert.equal(await store.users.get('other'), undefined);
      });

      test('update of an unknown id is undefined', async () => {
        assert.equal(await store.users.update('nope', { disabled: true }), undefined);
      });

      test('remove reports whether it removed, and frees the username', async () => {
        await store.users.create(user('usr_1', 'alice'));
        assert.equal(await store.users.remove('usr_1'), true);
        assert.equal(await store.users.remove('usr_1'), false);
        assert.equal(await store.users.get('usr_1'), undefined);
        assert.equal(await store.users.getByUsername('alice'), undefined);
        assert.deepEqual(await store.users.list(), []);
        await store.users.create(user('usr_2', 'Alice'));
        assert.equal((await store.users.getByUsername('alice'))?.id, 'usr_2');
      });

      test('login failures: parallel counts are all kept; a lock stops counting until it runs out', async () => {
        await store.users.create(user('usr_1', 'alice'));
        const counts = await Promise.all(
          Array.from({ length: 8 }, () => store.users.countLoginFailure('usr_1', T0 + 1)),
        );
        assert.deepEqual(
          [...counts].sort((a, b) => (a ?? 0) - (b ?? 0)),
          [1, 2, 3, 4, 5, 6, 7, 8],
        );
        assert.equal((await store.users.get('usr_1'))?.failedLogins, 8);
        await store.users.lockLogin('usr_1', T0 + 1000, T0 + 2);
        // A second lock while locked does not extend it.
        await store.users.lockLogin('usr_1', T0 + 9999, T0 + 3);
        let got = await store.users.get('usr_1');
        assert.equal(got?.lockedUntil, T0 + 1000);
        assert.equal(got?.failedLogins, 0);
        assert.equal(await store.users.countLoginFailure('usr_1', T0 + 10), null);
        assert.equal(await store.users.clearLoginFailures('usr_1', T0 + 10), false);
        assert.equal((await store.users.get('usr_1'))?.lockedUntil, T0 + 1000);
        // Run out: the next failure starts a new count and clears the old lock.
        assert.equal(await store.users.countLoginFailure('usr_1', T0 + 1000), 1);
        got = await store.users.get('usr_1');
        assert.equal(got?.lockedUntil, null);
        assert.equal(await store.users.clearLoginFailures('usr_1', T0 + 1001), true);
        assert.equal((await store.users.get('usr_1'))?.failedLogins, 0);
        assert.equal(await store.users.countLoginFailure('nobody', T0), null);
      });
    });

    describe('second factors', () => {
      test('mfaRequired round-trips on users; false reads back absent', async () => {
        const created = await store.users.create(user('usr_1', 'alice', { mfaRequired: true }));
        assert.equal(created.mfaRequired, true);
        assert.equal((await store.users.get('usr_1'))?.mfaRequired, true);
        const off = await store.users.update('usr_1', { mfaRequired: false });
        assert.equal(off?.mfaRequired, undefined);
      });

      test('totp: begin, restart while pending, confirm; an active one is never replaced', async () => {
        await store.users.create(user('usr_1', 'alice'));
        assert.equal(await store.totp.get('usr_1'), undefined);
        assert.equal(await store.totp.begin('usr_1', 'enc:v1:first', T0), true);
        assert.deepEqual(await store.totp.get('usr_1'), {
          userId: 'usr_1',
          secret: 'enc:v1:first',
          confirmedAt: null,
          lastStep: null,
          createdAt: T0,
        });
        assert.equal(await store.totp.useStep('usr_1', 5), false, 'a pending one accepts no code');
        assert.equal(await store.totp.begin('usr_1', 'enc:v1:second', T0 + 1), true);
        assert.equal((await store.totp.get('usr_1'))?.secret, 'enc:v1:second');
        assert.equal(await store.totp.confirm('usr_1', 100, T0 + 2), true);
        assert.equal(await store.totp.confirm('usr_1', 101, T0 + 3), false);
        assert.equal(await store.totp.begin('usr_1', 'enc:v1:third', T0 + 4), false);
        const active = await store.totp.get('usr_1');
        assert.equal(active?.secret, 'enc:v1:second');
        assert.equal(active?.confirmedAt, T0 + 2);
        assert.equal(active?.lastStep, 100);
        assert.equal(await store.totp.confirm('nobody', 1, T0), false);
      });

      test('totp: a step is used once, an older one never, and parallel uses of one step: one wins', async () => {
        await store.users.create(user('usr_1', 'alice'));
        await store.totp.begin('usr_1', 's', T0);
        await store.totp.confirm('usr_1', 100, T0);
        assert.equal(await store.totp.useStep('usr_1', 100), false, 'the confirming code');
        assert.equal(await store.totp.useStep('usr_1', 99), false, 'an older step');
        const raced = await Promise.all(Array.from({ length: 6 }, () => store.totp.useStep('usr_1', 101)));
        assert.equal(raced.filter(Boolean).length, 1);
        assert.equal(await store.totp.useStep('usr_1', 103), true);
        assert.equal((await store.totp.get('usr_1'))?.lastStep, 103);
        assert.equal(await store.totp.remove('usr_1'), true);
        assert.equal(await store.totp.remove('usr_1'), false);
        assert.equal(await store.totp.useStep('usr_1', 104), false);
      });

      test('recovery codes: replaced as a set, each used once, parallel uses of one: one wins', async () => {
        await store.users.create(user('usr_1', 'alice'));
        await store.users.create(user('usr_2', 'bob'));
        await store.recoveryCodes.replace('usr_1', ['h1', 'h2', 'h3', 'h3'], T0);
        await store.recoveryCodes.replace('usr_2', ['h1'], T0);
        assert.equal(await store.recoveryCodes.remaining('usr_1'), 3);
        const raced = await Promise.all(
          Array.from({ length: 5 }, () => store.recoveryCodes.use('usr_1', 'h2', T0 + 1)),
        );
        assert.equal(raced.filter(Boolean).length, 1);
        assert.equal(await store.recoveryCodes.use('usr_1', 'h2', T0 + 2), false);
        assert.equal(await store.recoveryCodes.use('usr_1', 'nope', T0 + 2), false);
        assert.equal(await store.recoveryCodes.remaining('usr_1'), 2);
        assert.equal(await store.recoveryCodes.remaining('usr_2'), 1, "another user's codes are theirs");
        await store.recoveryCodes.replace('usr_1', ['h9'], T0 + 3);
        assert.equal(await store.recoveryCodes.use('usr_1', 'h1', T0 + 4), false, 'replaced codes are gone');
        assert.equal(await store.recoveryCodes.use('usr_1', 'h9', T0 + 4), true);
        await store.recoveryCodes.removeAll('usr_1');
        assert.equal(await store.recoveryCodes.remaining('usr_1'), 0);
      });

      test('passkeys: add, list per user oldest first, record a use, remove only the own', async () => {
        await store.users.create(user('usr_1', 'alice'));
        await store.users.create(user('usr_2', 'bob'));
        const first = await store.passkeys.add(
          passkey('cred-b', 'usr_1', { transports: ['internal', 'hybrid'] }),
        );
        assert.deepEqual(first, {
          ...passkey('cred-b', 'usr_1', { transports: ['internal', 'hybrid'] }),
          createdAt: T0,
          lastUsedAt: null,
        });
        tick(1000);
        await store.passkeys.add(passkey('cred-a', 'usr_1', { backedUp: true, deviceType: 'multiDevice' }));
        await store.passkeys.add(passkey('cred-c', 'usr_2'));
        await assert.rejects(store.passkeys.add(passkey('cred-a', 'usr_2')), /already/);
        assert.deepEqual(
          (await store.passkeys.listForUser('usr_1')).map((p) => p.id),
          ['cred-b', 'cred-a'],
        );
        const synced = await store.passkeys.get('cred-a');
        assert.equal(synced?.backedUp, true);
        assert.equal(synced?.deviceType, 'multiDevice');
        await store.passkeys.recordUse('cred-a', 7, T0 + 5000);
        const used = await store.passkeys.get('cred-a');
        assert.equal(used?.counter, 7);
        assert.equal(used?.lastUsedAt, T0 + 5000);
        assert.equal(await store.passkeys.remove('usr_2', 'cred-a'), false, "not bob's");
        assert.equal(await store.passkeys.remove('usr_1', 'cred-a'), true);
        assert.equal(await store.passkeys.get('cred-a'), undefined);
        assert.equal(await store.passkeys.removeAll('usr_1'), 1);
        assert.deepEqual(await store.passkeys.listForUser('usr_1'), []);
      });

      test("a removed user's factors go with them", async () => {
        await store.users.create(user('usr_1', 'alice'));
        await store.totp.begin('usr_1', 's', T0);
        await store.recoveryCodes.replace('usr_1', ['h1'], T0);
        await store.passkeys.add(passkey('cred-1', 'usr_1'));
        await store.users.remove('usr_1');
        assert.equal(await store.totp.get('usr_1'), undefined);
        assert.equal(await store.recoveryCodes.remaining('usr_1'), 0);
        assert.equal(await store.passkeys.get('cred-1'), undefined);
        // A new user with the same id starts with none.
        await store.users.create(user('usr_1', 'alice'));
        assert.equal(await store.recoveryCodes.use('usr_1', 'h1', T0), false);
      });
    });

    describe('signing keys', () => {
      test('insert and list round-trip, oldest first then by kid', async () => {
        const k2 = key('k-2', { createdAt: T0 + 10 });
        const k1 = key('k-1', { createdAt: T0 + 10, activatesAt: T0 + 3600_000 });
        const k0 = key('k-0', { createdAt: T0 + 20, privateJwk: 'enc:v1:aaa.bbb.ccc', state: 'next' });
        const old = key('k-9', { createdAt: T0, state: 'retiring', removeAt: T0 + 86_400_000 });
        for (const k of [k2, k0, old, k1]) await store.keys.insert(k);
        assert.deepEqual(await store.keys.list(), [old, k1, k2, k0]);
      });

      test('inserting an existing kid rejects', async () => {
        await store.keys.insert(key('k-1'));
        await assert.rejects(store.keys.insert(key('k-1', { alg: 'RS256' })), /already exists/);
        assert.equal((await store.keys.list())[0]?.alg, 'ES256');
      });

      test('update moves a key through its life and keeps other fields', async () => {
        await store.keys.insert(key('k-1', { state: 'next', activatesAt: T0 + 1000 }));
        await store.keys.update('k-1', { state: 'current', activatesAt: null });
        await store.keys.update('k-1', { state: 'retiring', removeAt: T0 + 7200_000 });
        assert.deepEqual(await store.keys.list(), [
          key('k-1', { state: 'retiring', activatesAt: null, removeAt: T0 + 7200_000 }),
        ]);
      });

      test('update can re-encrypt the private key', async () => {
        await store.keys.insert(key('k-1'));
        await store.keys.update('k-1', { privateJwk: 'enc:v1:iv.tag.ct' });
        assert.equal((await store.keys.list())[0]?.privateJwk, 'enc:v1:iv.tag.ct');
      });

      test('update of an unknown kid rejects', async () => {
        await assert.rejects(store.keys.update('nope', { state: 'retired' }), /not found/);
      });
    });

    describe('revocations', () => {
      test('add returns increasing seqs and the entry', async () => {
        const a = await store.revocations.add('j-a', 2_000_000_000);
        tick(10);
        const b = await store.revocations.add('j-b', 2_000_000_100);
        assert.deepEqual(a, { seq: a.seq, jti: 'j-a', exp: 2_000_000_000, revokedAt: T0 });
        assert.deepEqual(b, { seq: b.seq, jti: 'j-b', exp: 2_000_000_100, revokedAt: T0 + 10 });
        assert.ok(b.seq > a.seq);
      });

      test('adding a jti again is idempotent: same entry, first seq, one feed item', async () => {
        const first = await store.revocations.add('j-a', 2_000_000_000);
        tick(1000);
        const again = await store.revocations.add('j-a', 2_000_000_500);
        assert.deepEqual(again, first);
        assert.deepEqual(await store.revocations.since(0), [first]);
      });

      test('a fractional exp is rounded up, never cutting the revocation short', async () => {
        assert.equal((await store.revocations.add('j-a', 2_000_000_000.2)).exp, 2_000_000_001);
      });

      test('isRevoked', async () => {
        await store.revocations.add('j-a', 2_000_000_000);
        assert.equal(await store.revocations.isRevoked('j-a'), true);
        assert.equal(await store.revocations.isRevoked('j-b'), false);
      });

      test('since is a cursor: entries after seq, oldest first, at most limit', async () => {
        const entries = [];
        for (let i = 0; i < 5; i++) entries.push(await store.revocations.add(`j-${i}`, 2_000_000_000 + i));
        assert.deepEqual(await store.revocations.since(0), entries);
        assert.deepEqual(await store.revocations.since(0, 2), entries.slice(0, 2));
        const cursor = entries[1]?.seq ?? 0;
        assert.deepEqual(await store.revocations.since(cursor, 2), entries.slice(2, 4));
        assert.deepEqual(await store.revocations.since(entries[4]?.seq ?? 0), []);
        assert.deepEqual(await store.revocations.since(0, 0), []);
      });

      test('since defaults to at most 1000 entries', async () => {
        for (let i = 0; i < 1001; i++) await store.revocations.add(`j-${i}`, 2_000_000_000);
        assert.equal((await store.revocations.since(0)).length, 1000);
      });

      test('prune deletes entries whose exp has passed and counts them', async () => {
        await store.revocations.add('j-old', 1_000);
        await store.revocations.add('j-edge', 2_000);
        const keep = await store.revocations.add('j-live', 3_000);
        assert.equal(await store.revocations.prune(2_000), 2);
        assert.equal(await store.revocations.isRevoked('j-old'), false);
        assert.equal(await store.revocations.isRevoked('j-edge'), false);
        assert.deepEqual(await store.revocations.since(0), [keep]);
        assert.equal(await store.revocations.prune(2_000), 0);
      });

      test('seqs are never reused, even after pruning the newest entries', async () => {
        const last = await store.revocations.add('j-a', 1_000);
        assert.equal(await store.revocations.prune(5_000), 1);
        const next = await store.revocations.add('j-b', 9_000);
        assert.ok(next.seq > last.seq, 'a feed reader at cursor last.seq must still see the new entry');
        assert.deepEqual(await store.revocations.since(last.seq), [next]);
      });
    });

    describe('audit', () => {
      test('append stamps seq and time (or keeps a given time) and round-trips detail', async () => {
        const a = await store.audit.append({
          type: 'client.created',
          actor: 'admin',
          subject: 'c-1',
          detail: { scopes: ['a', 'b'], n: 1 },
        });
        const b = await store.audit.append({
          type: 'auth.failed',
          actor: null,
          subject: null,
          detail: {},
          at: 123,
        });
        assert.deepEqual(a, {
          seq: a.seq,
          at: T0,
          type: 'client.created',
          actor: 'admin',
          subject: 'c-1',
          detail: { scopes: ['a', 'b'], n: 1 },
        });
        assert.deepEqual(b, {
          seq: b.seq,
          at: 123,
          type: 'auth.failed',
          actor: null,
          subject: null,
          detail: {},
        });
        assert.ok(b.seq > a.seq);
      });

      test('recent is newest first, limited, and filtered by type', async () => {
        const types = ['token.issued', 'auth.failed', 'token.issued', 'key.rotated', 'token.revoked'];
        const events = [];
        for (const type of types) {
          events.push(await store.audit.append({ type, actor: 'x', subject: null, detail: {} }));
          tick(1);
        }
        assert.deepEqual(await store.audit.recent(10), [...events].reverse());
        assert.deepEqual(await store.audit.recent(2), [events[4], events[3]]);
        assert.deepEqual(await store.audit.recent(10, ['token.issued']), [events[2], events[0]]);
        assert.deepEqual(await store.audit.recent(10, ['token.issued', 'key.rotated']), [
          events[3],
          events[2],
          events[0],
        ]);
        assert.deepEqual(await store.audit.recent(1, ['token.issued', 'auth.failed']), [events[2]]);
        assert.deepEqual(await store.audit.recent(10, ['nothing.matches']), []);
        assert.deepEqual(await store.audit.recent(10, []), []);
        assert.deepEqual(await store.audit.recent(0), []);
      });
    });

    describe('oidc payloads', () => {
      test('upsert then find round-trips; models are separate namespaces', async () => {
        await store.oidc.upsert('Session', 'id-1', { accountId: 'u-1', nested: { a: [1] } }, 60);
        assert.deepEqual(await store.oidc.find('Session', 'id-1'), { accountId: 'u-1', nested: { a: [1] } });
        assert.equal(await store.oidc.find('Grant', 'id-1'), undefined);
        assert.equal(await store.oidc.find('Session', 'id-2'), undefined);
      });

      test('upsert replaces the payload', async () => {
        await store.oidc.upsert('Grant', 'g-1', { scope: 'a' }, 60);
        await store.oidc.upsert('Grant', 'g-1', { scope: 'a b' }, 60);
        assert.deepEqual(await store.oidc.find('Grant', 'g-1'), { scope: 'a b' });
      });

      test('an entry is absent from its expiry on, and stays gone', async () => {
        await store.oidc.upsert('AuthorizationCode', 'code-1', { grantId: 'g-1' }, 10);
        tick(9_999);
        assert.deepEqual(await store.oidc.find('AuthorizationCode', 'code-1'), { grantId: 'g-1' });
        tick(1);
        assert.equal(await store.oidc.find('AuthorizationCode', 'code-1'), undefined);
        clockMs = T0;
        assert.equal(
          await store.oidc.find('AuthorizationCode', 'code-1'),
          undefined,
          'pruned, not just hidden',
        );
      });

      test('re-upserting extends the expiry', async () => {
        await store.oidc.upsert('Session', 's-1', { v: 1 }, 10);
        tick(8_000);
        await store.oidc.upsert('Session', 's-1', { v: 2 }, 10);
        tick(8_000);
        assert.deepEqual(await store.oidc.find('Session', 's-1'), { v: 2 });
      });

      test('without expiresIn an entry does not expire', async () => {
        await store.oidc.upsert('Client', 'c-1', { client_id: 'c-1' }, undefined);
        tick(10 * 365 * 86_400_000);
        assert.deepEqual(await store.oidc.find('Client', 'c-1'), { client_id: 'c-1' });
      });

      test('consume marks the entry with consumed seconds, keeping the first time', async () => {
        await store.oidc.upsert('AuthorizationCode', 'code-1', { grantId: 'g-1' }, 600);
        assert.equal((await store.oidc.find('AuthorizationCode', 'code-1'))?.consumed, undefined);
        tick(1_500);
        await store.oidc.consume('AuthorizationCode', 'code-1');
        const consumedAt = Math.floor((T0 + 1_500) / 1000);
        assert.deepEqual(await store.oidc.find('AuthorizationCode', 'code-1'), {
          grantId: 'g-1',
          consumed: consumedAt,
        });
        tick(60_000);
        await store.oidc.consume('AuthorizationCode', 'code-1');
        assert.equal((await store.oidc.find('AuthorizationCode', 'code-1'))?.consumed, consumedAt);
      });

      test('consume of an unknown entry does nothing', async () => {
        await store.oidc.consume('AuthorizationCode', 'nope');
        assert.equal(await store.oidc.find('AuthorizationCode', 'nope'), undefined);
      });

      test('upsert replaces consumption with what the new payload says', async () => {
        await store.oidc.upsert('RefreshToken', 'rt-1', { grantId: 'g-1' }, 600);
        await store.oidc.consume('RefreshToken', 'rt-1');
        await store.oidc.upsert('RefreshToken', 'rt-1', { grantId: 'g-1', rotated: true }, 600);
        assert.deepEqual(await store.oidc.find('RefreshToken', 'rt-1'), { grantId: 'g-1', rotated: true });
      });

      test('findByUid finds the entry of that model by its uid, until it expires', async () => {
        await store.oidc.upsert('Session', 's-1', { uid: 'uid-1', accountId: 'u-1' }, 60);
        await store.oidc.upsert('Interaction', 'i-1', { uid: 'uid-1', kind: 'Interaction' }, 60);
        assert.deepEqual(await store.oidc.findByUid('Session', 'uid-1'), { uid: 'uid-1', accountId: 'u-1' });
        assert.equal(await store.oidc.findByUid('Session', 'uid-2'), undefined);
        await store.oidc.consume('Session', 's-1');
        assert.equal((await store.oidc.findByUid('Session', 'uid-1'))?.consumed, Math.floor(T0 / 1000));
        tick(60_000);
        assert.equal(await store.oidc.findByUid('Session', 'uid-1'), undefined);
      });

      test('findByUserCode finds the device code by its user code, until it expires', async () => {
        await store.oidc.upsert('DeviceCode', 'dc-1', { userCode: 'ABCD-EFGH', grantId: 'g-1' }, 300);
        assert.deepEqual(await store.oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), {
          userCode: 'ABCD-EFGH',
          grantId: 'g-1',
        });
        assert.equal(await store.oidc.findByUserCode('DeviceCode', 'WXYZ-WXYZ'), undefined);
        assert.equal(await store.oidc.findByUserCode('Session', 'ABCD-EFGH'), undefined);
        tick(300_000);
        assert.equal(await store.oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), undefined);
      });

      test('a changed uid or user code is found by the new value only', async () => {
        await store.oidc.upsert('Session', 's-1', { uid: 'old' }, 60);
        await store.oidc.upsert('Session', 's-1', { uid: 'new' }, 60);
        assert.equal(await store.oidc.findByUid('Session', 'old'), undefined);
        assert.deepEqual(await store.oidc.findByUid('Session', 'new'), { uid: 'new' });
      });

      test('revokeByGrantId removes every entry of the grant, whatever the model, and nothing else', async () => {
        await store.oidc.upsert('AccessToken', 'at-1', { grantId: 'g-1' }, 600);
        await store.oidc.upsert('RefreshToken', 'rt-1', { grantId: 'g-1' }, 600);
        await store.oidc.upsert('AuthorizationCode', 'code-1', { grantId: 'g-1' }, 600);
        await store.oidc.upsert('AccessToken', 'at-2', { grantId: 'g-2' }, 600);
        await store.oidc.upsert('Session', 's-1', { accountId: 'u-1' }, 600);
        await store.oidc.revokeByGrantId('AccessToken', 'g-1');
        assert.equal(await store.oidc.find('AccessToken', 'at-1'), undefined);
        assert.equal(await store.oidc.find('RefreshToken', 'rt-1'), undefined);
        assert.equal(await store.oidc.find('AuthorizationCode', 'code-1'), undefined);
        assert.deepEqual(await store.oidc.find('AccessToken', 'at-2'), { grantId: 'g-2' });
        assert.deepEqual(await store.oidc.find('Session', 's-1'), { accountId: 'u-1' });
      });

      test('destroy removes one entry', async () => {
        await store.oidc.upsert('Session', 's-1', { uid: 'uid-1' }, 60);
        await store.oidc.upsert('Session', 's-2', { uid: 'uid-2' }, 60);
        await store.oidc.destroy('Session', 's-1');
        await store.oidc.destroy('Session', 'never-existed');
        assert.equal(await store.oidc.find('Session', 's-1'), undefined);
        assert.equal(await store.oidc.findByUid('Session', 'uid-1'), undefined);
        assert.deepEqual(await store.oidc.find('Session', 's-2'), { uid: 'uid-2' });
      });
    });

    test('close is idempotent', async () => {
      await store.close();
      await store.close();
    });
  });
}

function client(id: string, overrides: Partial<NewClient> = {}): NewClient {
  return {
    id,
    name: `Client ${id}`,
    secretHash: 'sha256:abc',
    authMethod: 'client_secret_basic',
    jwks: null,
    grantTypes: ['client_credentials'],
    redirectUris: ['https://app.example/cb'],
    scopes: ['orders:read'],
    roles: ['reader'],
    audiences: ['https://api.example'],
    claims: {},
    disabled: false,
    ...overrides,
  };
}

function user(id: string, username: string, overrides: Partial<NewUser> = {}): NewUser {
  return {
    id,
    username,
    passwordHash:
      '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    email: `${id}@example.com`,
    name: `User ${id}`,
    roles: { webapp: ['reader'] },
    admin: false,
    disabled: false,
    ...overrides,
  };
}

function passkey(
  id: string,
  userId: string,
  overrides: Partial<Omit<PasskeyRecord, 'createdAt' | 'lastUsedAt'>> = {},
): Omit<PasskeyRecord, 'createdAt' | 'lastUsedAt'> {
  return {
    id,
    userId,
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    transports: [],
    name: `Passkey ${id}`,
    deviceType: 'singleDevice',
    backedUp: false,
    ...overrides,
  };
}

function key(kid: string, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    alg: 'ES256',
    privateJwk: JSON.stringify({ kty: 'EC', crv: 'P-256', d: 'secret', kid }),
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid },
    state: 'current',
    createdAt: T0,
    activatesAt: null,
    removeAt: null,
    ...overrides,
  };
}
