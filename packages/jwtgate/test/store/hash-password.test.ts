import assert from 'node:assert/strict';
import { argon2Sync } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ARGON2_PARAMS,
  checkPasswordPolicy,
  dummyVerify,
  hashPassword,
  verifyPassword,
} from '../../src/store/hash-password.ts';

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** A PHC string made here with other parameters, as an older jwtgate would have stored it. */
function phcWith(password: string, m: number, t: number, p: number, saltLength = 16, tagLength = 32): string {
  const salt = Buffer.alloc(saltLength, 7);
  const tag = argon2Sync('argon2id', {
    message: Buffer.from(password, 'utf8'),
    nonce: salt,
    memory: m,
    passes: t,
    parallelism: p,
    tagLength,
  });
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(tag)}`;
}

describe('password hashing', () => {
  test('the parameters are OWASP’s argon2id recommendation', () => {
    assert.deepEqual(
      { ...ARGON2_PARAMS },
      {
        algorithm: 'argon2id',
        version: 19,
        memory: 19_456,
        passes: 2,
        parallelism: 1,
        saltLength: 16,
        tagLength: 32,
      },
    );
    assert.ok(Object.isFrozen(ARGON2_PARAMS));
  });

  test('the hash is a PHC string with the parameters, a 16-byte salt and a 32-byte tag', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const match = PHC.exec(hash);
    assert.ok(match, hash);
    const [, m, t, p, salt, tag] = match;
    assert.deepEqual([Number(m), Number(t), Number(p)], [19_456, 2, 1]);
    assert.equal(Buffer.from(salt as string, 'base64').length, 16);
    assert.equal(Buffer.from(tag as string, 'base64').length, 32);
    assert.doesNotMatch(`${salt}${tag}`, /=/, 'PHC base64 has no padding');
    assert.ok(!hash.includes('correct horse'));
  });

  test('the same password hashes differently each time (fresh salt), and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    assert.notEqual(a, b);
    assert.deepEqual(await verifyPassword(a, 'same password'), { ok: true, needsRehash: false });
    assert.deepEqual(await verifyPassword(b, 'same password'), { ok: true, needsRehash: false });
  });

  test('a wrong password does not verify', async () => {
    const hash = await hashPassword('correct horse battery staple');
    for (const wrong of ['correct horse battery stapl', 'Correct horse battery staple', '', 'x'.repeat(5000)])
      assert.deepEqual(await verifyPassword(hash, wrong), { ok: false, needsRehash: false });
  });

  test('matches the argon2 reference implementation (argon2id test vector, v=19 m=65536 t=2 p=1)', async () => {
    // From the reference implementation's test.c (phc-winner-argon2), "password" / "somesalt".
    const reference =
      '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc';
    assert.deepEqual(await verifyPassword(reference, 'password'), { ok: true, needsRehash: true });
    assert.equal((await verifyPassword(reference, 'passwore')).ok, false);
  });

  test('a tampered hash does not verify', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const [, , , , salt, tag] = hash.split('$') as string[];
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = (bytes[0] as number) ^ 1;
      return bytes.toString('base64').replace(/=+$/, '');
    };
    const tampered = [
      hash.replace(`$${tag}`, `$${flip(tag as string)}`),
      hash.replace(`$${salt}$`, `$${flip(salt as string)}$`),
      hash.replace('t=2', 't=3'),
      hash.replace('m=19456', 'm=19457'),
      hash.replace('p=1', 'p=2'),
    ];
    for (const bad of tampered) {
      assert.notEqual(bad, hash);
      assert.deepEqual(await verifyPassword(bad, 'correct horse battery staple'), {
        ok: false,
        needsRehash: false,
      });
    }
  });

  test('malformed or unsupported hash strings give ok:false and never throw', async () => {
    const good = await hashPassword('correct horse battery staple');
    const malformed: unknown[] = [
      '',
      'plain text',
      'sha256:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0',
      good.replace('$argon2id$', '$argon2i$'),
      good.replace('$argon2id$', '$argon2d$'),
      good.replace('v=19', 'v=16'),
      good.replace('m=19456,t=2,p=1', 't=2,m=19456,p=1'),
      good.replace('m=19456', 'm=0'),
      good.replace('m=19456', 'm=4'), // below 8 * p
      good.replace('m=19456', 'm=9999999'), // more memory than a login may take
      good.replace('t=2', 't=0'),
      good.replace('t=2', 't=999'),
      good.replace('p=1', 'p=0'),
      `${good}=`, // padding
      `${good}$extra`,
      good.slice(0, good.lastIndexOf('$')), // no tag
      good.replace(/\$[^$]+\$([^$]+)$/, (_, tag) => `$AAAA$${tag}`), // 3-byte salt
      good.replace(/\$([^$]+)$/, () => '$AAAAAAAA'), // 6-byte tag
      good.replace(/\$([^$]+)$/, (_, tag) => `$$${tag}`), // empty field
      `${good.slice(0, -2)}-_`, // base64url is not PHC base64
      ` ${good}`,
      null,
      undefined,
      42,
      {},
    ];
    for (const hash of malformed) {
      assert.deepEqual(
        await verifyPassword(hash as string, 'correct horse battery staple'),
        { ok: false, needsRehash: false },
        String(hash),
      );
    }
    assert.deepEqual(await verifyPassword(good, undefined as unknown as string), {
      ok: false,
      needsRehash: false,
    });
  });

  test('a match with other parameters than ARGON2_PARAMS needs a rehash', async () => {
    for (const [m, t, p, salt, tagLength] of [
      [8192, 2, 1, 16, 32],
      [19_456, 1, 1, 16, 32],
      [19_456, 2, 2, 16, 32],
      [19_456, 2, 1, 8, 32],
      [19_456, 2, 1, 16, 16],
    ] as const) {
      const old = phcWith('an older password', m, t, p, salt, tagLength);
      assert.deepEqual(await verifyPassword(old, 'an older password'), { ok: true, needsRehash: true }, old);
      assert.deepEqual(await verifyPassword(old, 'another password'), { ok: false, needsRehash: false });
    }
    const current = phcWith('a current password', 19_456, 2, 1);
    assert.deepEqual(await verifyPassword(current, 'a current password'), { ok: true, needsRehash: false });
  });

  test('passwords are NFKC-normalized, so one password typed two ways matches', async () => {
    const hash = await hashPassword('caf\u00e9 au lait'); // é as one code point
    assert.equal((await verifyPassword(hash, 'cafe\u0301 au lait')).ok, true); // e + combining accent
  });

  test('dummyVerify never matches, whatever the password', async () => {
    // That it costs what a real verification does is by construction (it verifies against a
    // random hash made with ARGON2_PARAMS); timings are for bench/, not for tests.
    for (const password of ['correct horse battery staple', '', 'x'.repeat(5000)])
      assert.deepEqual(await dummyVerify(password), { ok: false, needsRehash: false });
  });

  test('checkPasswordPolicy: 8 to 1024 characters (code points)', () => {
    assert.match(checkPasswordPolicy('') ?? '', /at least 8/);
    assert.match(checkPasswordPolicy('1234567') ?? '', /at least 8/);
    assert.equal(checkPasswordPolicy('12345678'), null);
    assert.equal(checkPasswordPolicy('😀'.repeat(8)), null, 'eight emoji are eight characters');
    assert.match(checkPasswordPolicy('😀'.repeat(4)) ?? '', /at least 8/, 'not eight UTF-16 units');
    assert.equal(checkPasswordPolicy('x'.repeat(1024)), null);
    assert.match(checkPasswordPolicy('x'.repeat(1025)) ?? '', /at most 1024/);
    assert.match(checkPasswordPolicy(undefined as unknown as string) ?? '', /string/);
  });
});
