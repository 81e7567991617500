import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  MAX_IDENTITY_LIFETIME_MS,
  openIdentityKeys,
  readIdentityJwks,
} from '../../../src/gateway/identity/identity-keys.ts';
import { tempDir } from '../helpers/config.ts';

const HOUR = 3600_000;

describe('openIdentityKeys', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  after(() => {
    for (const d of dirs) d.remove();
  });
  const fresh = () => {
    const d = tempDir('identity-keys');
    dirs.push(d);
    return d.dir;
  };

  test('creates a key file of mode 0600 in a 0700 directory; a second process opens the same key', () => {
    const dir = fresh();
    let t = 10 * HOUR;
    const a = openIdentityKeys({ dir, alg: 'ES256', rotateAfterMs: 24 * HOUR, now: () => t });
    const files = readdirSync(join(dir, 'signing-keys'));
    assert.equal(files.length, 1);
    assert.equal(statSync(join(dir, 'signing-keys', files[0] as string)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'signing-keys')).mode & 0o777, 0o700);
    const b = openIdentityKeys({ dir, alg: 'ES256', rotateAfterMs: 24 * HOUR, now: () => t });
    assert.equal(b.current().kid, a.current().kid, 'workers sharing the directory sign with one key');
    t += 1000;
  });

  test('rotation: a new key each period, the old one published until its last token expired, then removed', () => {
    const dir = fresh();
    let t = 0;
    const keys = openIdentityKeys({ dir, alg: 'EdDSA', rotateAfterMs: HOUR, now: () => t });
    const first = keys.current().kid;
    t = HOUR + 1;
    keys.rotate();
    const second = keys.current().kid;
    assert.notEqual(second, first);
    assert.deepEqual(
      readIdentityJwks(dir, t).keys.map((k) => k.kid),
      [second, first],
      'the previous key stays published',
    );
    const pub = readIdentityJwks(dir, t).keys[0] as Record<string, unknown>;
    assert.equal(pub.kty, 'OKP');
    assert.equal(pub.alg, 'EdDSA');
    assert.equal(pub.d, undefined, 'never the private part');
    // The first key's period ended at 1h; its tokens live at most MAX_IDENTITY_LIFETIME_MS more.
    t = HOUR + MAX_IDENTITY_LIFETIME_MS + 1;
    keys.rotate();
    assert.equal(
      readIdentityJwks(dir, t).keys.some((k) => k.kid === first),
      false,
    );
    assert.equal(
      readdirSync(join(dir, 'signing-keys')).length,
      2,
      'its file removed; the third period began',
    );
  });
});
