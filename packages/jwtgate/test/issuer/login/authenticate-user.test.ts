import assert from 'node:assert/strict';
import { argon2, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { authenticateUser } from '../../../src/issuer/login/authenticate-user.ts';
import { hashPassword, verifyPassword } from '../../../src/store/hash-password.ts';
import type { Store } from '../../../src/store/types.ts';
import { openTempStore, tempDir } from '../helpers.ts';

const PASSWORD = 'correct horse battery staple';
const attempt = (username: string, password: string) => ({
  username,
  password,
  address: '192.0.2.1',
  clientId: 'webapp',
});

/** A valid argon2id PHC string with weaker parameters than the current ones (an old hash). */
function oldHash(password: string): Promise<string> {
  const salt = randomBytes(16);
  return new Promise((resolve, reject) =>
    argon2(
      'argon2id',
      { message: Buffer.from(password), nonce: salt, memory: 8192, passes: 1, parallelism: 1, tagLength: 32 },
      (err, tag) =>
        err
          ? reject(err)
          : resolve(
              `$argon2id$v=19$m=8192,t=1,p=1$${salt.toString('base64').replace(/=+$/, '')}$${tag.toString('base64').replace(/=+$/, '')}`,
            ),
    ),
  );
}

describe('authenticateUser', () => {
  const tmp = tempDir();
  let store: Store;
  let clock = 1_000_000;
  const deps = () => ({ store, lockout: { maxFailures: 3, lockMs: 60_000 }, now: () => clock });

  before(async () => {
    store = await openTempStore(join(tmp.dir, 'auth.db'));
    await store.users.create({
      id: 'usr_bob',
      username: 'Bob',
      passwordHash: await hashPassword(PASSWORD),
      email: null,
      name: null,
      roles: {},
      admin: false,
      disabled: false,
    });
  });
  beforeEach(async () => {
    clock = 1_000_000;
    await store.users.update('usr_bob', { failedLogins: 0, lockedUntil: null, disabled: false });
  });
  after(async () => {
    await store.close();
    tmp.remove();
  });

  test('the right password, any case of the username', async () => {
    const r = await authenticateUser(deps(), attempt('bob', PASSWORD));
    assert.equal(r.ok, true);
    const [event] = await store.audit.recent(1);
    assert.equal(event?.type, 'login.succeeded');
    assert.equal(event?.actor, 'usr_bob');
    assert.deepEqual(event?.detail, { address: '192.0.2.1', client_id: 'webapp' });
  });

  test('failures: unknown user, wrong password, disabled; the password is never audited', async () => {
    assert.deepEqual(await authenticateUser(deps(), attempt('nobody', PASSWORD)), {
      ok: false,
      reason: 'unknown_user',
    });
    assert.deepEqual(await authenticateUser(deps(), attempt('bob', 'Tr0ub4dor&3')), {
      ok: false,
      reason: 'wrong_password',
    });
    await store.users.update('usr_bob', { disabled: true });
    assert.deepEqual(await authenticateUser(deps(), attempt('bob', PASSWORD)), {
      ok: false,
      reason: 'disabled',
    });
    const events = await store.audit.recent(3, ['login.failed']);
    assert.deepEqual(
      events.map((e) => [e.actor, e.detail.reason]),
      [
        ['usr_bob', 'disabled'],
        ['usr_bob', 'wrong_password'],
        ['unknown', 'unknown_user'],
      ],
    );
    assert.doesNotMatch(JSON.stringify(events), new RegExp(`${PASSWORD}|Tr0ub4dor|nobody`));
  });

  test('consecutive failures lock the account until lockMs has passed; a success resets the count', async () => {
    await authenticateUser(deps(), attempt('bob', 'x'));
    assert.equal((await store.users.get('usr_bob'))?.failedLogins, 1);
    assert.equal((await authenticateUser(deps(), attempt('bob', PASSWORD))).ok, true);
    assert.equal((await store.users.get('usr_bob'))?.failedLogins, 0);
    for (let i = 0; i < 3; i++) await authenticateUser(deps(), attempt('bob', 'x'));
    assert.equal((await store.users.get('usr_bob'))?.lockedUntil, 1_060_000);
    assert.equal((await store.audit.recent(1, ['login.locked']))[0]?.actor, 'usr_bob');
    assert.deepEqual(await authenticateUser(deps(), attempt('bob', PASSWORD)), {
      ok: false,
      reason: 'locked',
    });
    clock = 1_060_000;
    assert.equal((await authenticateUser(deps(), attempt('bob', PASSWORD))).ok, true);
    assert.equal((await store.users.get('usr_bob'))?.lockedUntil, null);
  });

  test('guesses sent in parallel all count: the lock holds, and a right password among them is refused', async () => {
    const guesses = [...Array.from({ length: 6 }, (_, i) => `wrong-${i}`), PASSWORD];
    const outcomes = await Promise.all(guesses.map((g) => authenticateUser(deps(), attempt('bob', g))));
    assert.equal(outcomes.filter((o) => o.ok).length, 0, JSON.stringify(outcomes));
    assert.equal((await store.users.get('usr_bob'))?.lockedUntil, 1_060_000);
    assert.equal((await store.audit.recent(10, ['login.locked'])).length >= 1, true);
  });

  test('without a lock-out, failures only count', async () => {
    for (let i = 0; i < 5; i++) await authenticateUser({ ...deps(), lockout: null }, attempt('bob', 'x'));
    assert.equal((await store.users.get('usr_bob'))?.lockedUntil, null);
  });

  test('an outdated hash is upgraded at a successful login', async () => {
    await store.users.update('usr_bob', { passwordHash: await oldHash(PASSWORD) });
    assert.equal((await authenticateUser(deps(), attempt('bob', PASSWORD))).ok, true);
    const stored = (await store.users.get('usr_bob'))?.passwordHash as string;
    assert.match(stored, /m=19456,t=2,p=1/);
    assert.deepEqual(await verifyPassword(stored, PASSWORD), { ok: true, needsRehash: false });
  });
});
