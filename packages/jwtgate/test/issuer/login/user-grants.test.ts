// The grant -> JWT access token list and the adapter rules built on it (refresh grace, grant
// revocation reaching JWT access tokens), against a real store with an injected clock.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createStoreAdapter } from '../../../src/issuer/oidc/store-adapter.ts';
import { withUserGrants } from '../../../src/issuer/oidc/user-grant-adapter.ts';
import { createGrantAccessTokens } from '../../../src/issuer/tokens/grant-access-tokens.ts';
import type { RevocationRecord, Store } from '../../../src/store/types.ts';
import { openTempStore, tempDir } from '../helpers.ts';

describe('grant access tokens and the user grant adapter', () => {
  const tmp = tempDir();
  let store: Store;
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const notified: RevocationRecord[] = [];

  before(async () => {
    store = await openTempStore(join(tmp.dir, 'g.db'), now);
  });
  after(async () => {
    await store.close();
    tmp.remove();
  });

  test('revoking a grant lists its unexpired JWT access tokens, once', async () => {
    const tokens = createGrantAccessTokens(store, (r) => notified.push(r), now);
    const s = clock / 1000;
    await tokens.track('grant-1', 'jti-a', s + 300);
    await tokens.track('grant-1', 'jti-b', s + 300);
    await tokens.track('grant-1', 'jti-old', s - 1);
    await tokens.track('grant-2', 'jti-c', s + 300);
    // The store's own revocation of the grant's entries leaves the list in place.
    await store.oidc.revokeByGrantId('AccessToken', 'grant-1');
    assert.equal(await tokens.revokeGrant('grant-1', 'issuer'), 2);
    assert.deepEqual(notified.map((r) => r.jti).sort(), ['jti-a', 'jti-b']);
    assert.equal(await store.revocations.isRevoked('jti-c'), false);
    assert.equal(await tokens.revokeGrant('grant-1', 'issuer'), 0);
  });

  test('the adapter: AccessToken.revokeByGrantId revokes the JWTs; a consumed refresh token is a retry only within the grace', async () => {
    const grantTokens = createGrantAccessTokens(store, () => {}, now);
    const Adapter = withUserGrants(createStoreAdapter(store), {
      graceSeconds: 10,
      grantTokens,
      now,
      isPublicClient: async (id) => id === 'spa',
      deviceCodeRetentionSeconds: 600,
    });
    await grantTokens.track('grant-3', 'jti-d', clock / 1000 + 300);
    await new Adapter('AccessToken').revokeByGrantId('grant-3');
    assert.equal(await store.revocations.isRevoked('jti-d'), true);

    const refresh = new Adapter('RefreshToken');
    await refresh.upsert('rt-1', { jti: 'rt-1', grantId: 'grant-4', clientId: 'webapp' }, 3600);
    await refresh.consume('rt-1');
    assert.equal((await refresh.find('rt-1'))?.consumed, undefined);
    clock += 9_000;
    assert.equal((await refresh.find('rt-1'))?.consumed, undefined);
    clock += 1_000;
    assert.equal(typeof (await refresh.find('rt-1'))?.consumed, 'number');
    // A public client's consumed refresh token is reuse at once: no grace.
    await refresh.upsert('rt-2', { jti: 'rt-2', grantId: 'grant-5', clientId: 'spa' }, 3600);
    await refresh.consume('rt-2');
    assert.equal(typeof (await refresh.find('rt-2'))?.consumed, 'number');
    // A device code is kept past its end, so a late poll learns it expired.
    const device = new Adapter('DeviceCode');
    await device.upsert('dc-1', { jti: 'dc-1' }, 60);
    clock += 120_000;
    assert.ok(await device.find('dc-1'), 'still there 60 s after its end');
    clock += 600_000;
    assert.equal(await device.find('dc-1'), undefined, 'gone after the retention');
    // Other models are untouched.
    const code = new Adapter('AuthorizationCode');
    await code.upsert('c-1', { jti: 'c-1' }, 60);
    await code.consume('c-1');
    assert.equal(typeof (await code.find('c-1'))?.consumed, 'number');
  });
});
