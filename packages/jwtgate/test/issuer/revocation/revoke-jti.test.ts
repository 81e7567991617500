import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { revokeJti } from '../../../src/issuer/revocation/revoke-jti.ts';
import { openTempStore, tempDir } from '../helpers.ts';

describe('revokeJti', () => {
  test('lists the jti until exp, idempotently, and audits who did it', async () => {
    const tmp = tempDir();
    const store = await openTempStore(join(tmp.dir, 'r.db'));
    try {
      const first = await revokeJti(store, { jti: 'j1', exp: 2_000_000_000, actor: 'svc', clientId: 'svc' });
      const again = await revokeJti(store, { jti: 'j1', exp: 2_000_000_000, actor: 'cli' });
      assert.equal(again.seq, first.seq);
      assert.equal(await store.revocations.isRevoked('j1'), true);
      const events = await store.audit.recent(5, ['token.revoked']);
      assert.deepEqual(
        events.map((e) => [e.actor, e.subject, e.detail.client_id]),
        [
          ['cli', 'j1', undefined],
          ['svc', 'j1', 'svc'],
        ],
      );
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});
