import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ABSOLUTE_TIMEOUT_MS,
  createWebSessions,
  hashSessionId,
  IDLE_TIMEOUT_MS,
  serializeCookie,
  webCookie,
} from '../../../src/issuer/login/web-session.ts';
import type { Store } from '../../../src/store/types.ts';
import { openTempStore, tempDir } from '../helpers.ts';

describe('web sessions', () => {
  const tmp = tempDir();
  let store: Store;
  let clock = Date.now();
  const now = () => clock;

  before(async () => {
    store = await openTempStore(join(tmp.dir, 'issuer.db'));
  });
  after(async () => {
    await store.close();
    tmp.remove();
  });

  test('the id is 32 random bytes; only its sha256 is stored', async () => {
    const sessions = createWebSessions(store, now, 'console');
    const { id, session } = await sessions.create('usr_x');
    assert.equal(Buffer.from(id, 'base64url').length, 32);
    assert.equal(session.key, hashSessionId(id));
    assert.equal(await store.oidc.find('ConsoleSession', id), undefined);
    assert.equal((await store.oidc.find('ConsoleSession', session.key))?.userId, 'usr_x');
    assert.equal((await sessions.find(id))?.userId, 'usr_x');
    assert.equal(await sessions.find('not-a-session-id'), undefined);
    assert.equal(await sessions.find(undefined), undefined);
  });

  test('idle timeout: 30 minutes without a request ends it; activity keeps it alive', async () => {
    const sessions = createWebSessions(store, now, 'console');
    const { id } = await sessions.create('usr_idle');
    clock += IDLE_TIMEOUT_MS - 60_000;
    assert.ok(await sessions.find(id), 'just under the idle timeout');
    clock += IDLE_TIMEOUT_MS - 60_000;
    assert.ok(await sessions.find(id), 'the last request restarted the idle timer');
    clock += IDLE_TIMEOUT_MS;
    assert.equal(await sessions.find(id), undefined);
  });

  test('absolute timeout: 8 hours after sign-in, however active', async () => {
    const sessions = createWebSessions(store, now, 'console');
    const { id } = await sessions.create('usr_abs');
    const end = clock + ABSOLUTE_TIMEOUT_MS;
    while (clock + 20 * 60_000 < end) {
      clock += 20 * 60_000;
      assert.ok(await sessions.find(id));
    }
    clock = end;
    assert.equal(await sessions.find(id), undefined);
  });

  test('destroy ends it in the store (every replica)', async () => {
    const sessions = createWebSessions(store, now, 'console');
    const { id, session } = await sessions.create('usr_d');
    await createWebSessions(store, now, 'console').destroy(session);
    assert.equal(await sessions.find(id), undefined);
  });

  test('cookies: __Host- with Secure and Path=/ on https; Path=/console on http', () => {
    const https = webCookie('https://auth.example', 'console');
    assert.deepEqual(https, { name: '__Host-jwtgate-console', path: '/', secure: true });
    assert.equal(
      serializeCookie(https, 'abc'),
      '__Host-jwtgate-console=abc; Path=/; HttpOnly; SameSite=Strict; Secure',
    );
    const http = webCookie('http://127.0.0.1:8080', 'console');
    assert.equal(
      serializeCookie(http, 'abc'),
      'jwtgate-console=abc; Path=/console; HttpOnly; SameSite=Strict',
    );
    assert.match(serializeCookie(http, null), /^jwtgate-console=; .*Max-Age=0/);
    assert.deepEqual(webCookie('http://127.0.0.1:8080', 'account', '-login'), {
      name: 'jwtgate-account-login',
      path: '/account',
      secure: false,
    });
  });

  test("each area's sessions are its own: an account session is no console session", async () => {
    const account = createWebSessions(store, now, 'account');
    const { id } = await account.create('usr_a');
    assert.equal((await account.find(id))?.userId, 'usr_a');
    assert.equal(await createWebSessions(store, now, 'console').find(id), undefined);
  });
});
