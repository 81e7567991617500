import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordAudit } from '../../src/issuer/audit.ts';
import type { Store } from '../../src/store/types.ts';

describe('recordAudit', () => {
  test('appends the event; a failing store is reported, never thrown', async () => {
    const appended: unknown[] = [];
    const store = { audit: { append: async (e: unknown) => void appended.push(e) } } as unknown as Store;
    await recordAudit(store, { type: 'client.created', actor: 'cli', subject: 'svc' });
    assert.deepEqual(appended, [{ type: 'client.created', actor: 'cli', subject: 'svc', detail: {} }]);
    const broken = {
      audit: {
        append: async () => {
          throw new Error('disk full');
        },
      },
    } as unknown as Store;
    const errors: unknown[] = [];
    await recordAudit(broken, { type: 'token.issued', actor: 'svc', subject: 'j' }, (e) => errors.push(e));
    assert.equal((errors[0] as Error).message, 'disk full');
  });
});
