import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { introspectOwnToken, revokeOwnToken } from '../../../src/issuer/tokens/own-token-endpoints.ts';
import type { OwnTokenVerifier } from '../../../src/issuer/tokens/verify-own-token.ts';
import type { RevocationRecord } from '../../../src/store/types.ts';
import { openTempStore, registerClient, tempDir } from '../helpers.ts';

/** A verifier that accepts tokens named `good:<client>:<jti>`. */
const verifier: OwnTokenVerifier = {
  async verify(token) {
    const [kind, client, jti] = token.split(':');
    if (kind !== 'good') throw new Error('bad');
    return {
      iss: 'https://auth.example',
      sub: client,
      client_id: client,
      jti,
      exp: 2_000_000_000,
      scope: 'read',
    };
  },
};

describe('introspectOwnToken / revokeOwnToken', () => {
  test('active only while valid, not revoked and its client exists; a client revokes only its own', async () => {
    const tmp = tempDir();
    const store = await openTempStore(join(tmp.dir, 't.db'));
    const revoked: RevocationRecord[] = [];
    const ctx = { verifier, store, onRevoked: (r: RevocationRecord) => revoked.push(r) };
    try {
      await registerClient(store, { id: 'svc' });
      await registerClient(store, { id: 'other' });
      const active = await introspectOwnToken(ctx, 'good:svc:j1');
      assert.equal(active.active, true);
      assert.equal(active.token_type, 'Bearer');
      assert.equal(active.client_id, 'svc');
      assert.deepEqual(await introspectOwnToken(ctx, 'bad'), { active: false });
      assert.deepEqual(await introspectOwnToken(ctx, 'good:ghost:j9'), { active: false });

      assert.equal(await revokeOwnToken(ctx, 'good:svc:j1', 'other'), 'other-client');
      assert.equal(await revokeOwnToken(ctx, 'bad', 'svc'), 'not-a-valid-token');
      assert.equal(revoked.length, 0);
      assert.equal(await revokeOwnToken(ctx, 'good:svc:j1', 'svc'), 'revoked');
      assert.deepEqual(
        revoked.map((r) => [r.jti, r.exp]),
        [['j1', 2_000_000_000]],
      );
      assert.deepEqual(await introspectOwnToken(ctx, 'good:svc:j1'), { active: false });

      await store.clients.update('other', { disabled: true });
      assert.deepEqual(await introspectOwnToken(ctx, 'good:other:j2'), { active: false });
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});
