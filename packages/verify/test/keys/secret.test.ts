import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { loadSecret } from '../../src/keys/secret.ts';
import type { TrustedKey } from '../../src/keys/trusted-key.ts';
import { tempDir } from '../helpers/forge.ts';

const GOOD = 'k'.repeat(64);
const files = tempDir();
after(() => files.cleanup());

function ok(value: TrustedKey | string): TrustedKey {
  assert.equal(typeof value, 'object', `expected a key, got: ${String(value)}`);
  return value as TrustedKey;
}

function problem(value: TrustedKey | string, pattern: RegExp): string {
  assert.equal(typeof value, 'string', 'expected a problem, got a key');
  assert.match(value as string, pattern);
  return value as string;
}

describe('loadSecret: sources', () => {
  test('a plain string is the literal secret, usable for any kid', () => {
    const key = ok(loadSecret(GOOD, ['HS256'], {}));
    assert.deepEqual(
      {
        kind: key.kind,
        anyKid: key.anyKid,
        kid: key.kid,
        alg: key.alg,
        bytes: key.bytes,
        type: key.key.type,
      },
      { kind: 'oct', anyKid: true, kid: undefined, alg: undefined, bytes: 64, type: 'secret' },
    );
    assert.deepEqual(key.key.export(), Buffer.from(GOOD));
  });

  test('{ value }, { env } and { file } load the same bytes', () => {
    const fromValue = ok(loadSecret({ value: GOOD }, ['HS256'], {}));
    const fromEnv = ok(loadSecret({ env: 'SECRET_KEY' }, ['HS256'], { SECRET_KEY: GOOD }));
    const fromFile = ok(loadSecret({ file: files.write('plain', GOOD) }, ['HS256'], {}));
    for (const key of [fromValue, fromEnv, fromFile]) assert.deepEqual(key.key.export(), Buffer.from(GOOD));
  });

  test('one trailing newline of a file is dropped (LF or CRLF), nothing more', () => {
    assert.deepEqual(
      ok(loadSecret({ file: files.write('lf', `${GOOD}\n`) }, ['HS256'], {})).key.export(),
      Buffer.from(GOOD),
    );
    assert.deepEqual(
      ok(loadSecret({ file: files.write('crlf', `${GOOD}\r\n`) }, ['HS256'], {})).key.export(),
      Buffer.from(GOOD),
    );
    assert.equal(ok(loadSecret({ file: files.write('two', `${GOOD}\n\n`) }, ['HS256'], {})).bytes, 65);
  });

  test('exactly one of value, env or file', () => {
    problem(loadSecret({}, ['HS256'], {}), /exactly one/);
    problem(loadSecret({ value: GOOD, env: 'X' }, ['HS256'], { X: GOOD }), /exactly one/);
    problem(loadSecret({ env: 'X', file: '/nonexistent' }, ['HS256'], { X: GOOD }), /exactly one/);
  });

  test('an unset or empty environment variable is an empty secret', () => {
    problem(loadSecret({ env: 'MISSING' }, ['HS256'], {}), /environment variable MISSING is empty/);
    problem(loadSecret({ env: 'EMPTY' }, ['HS256'], { EMPTY: '' }), /is empty/);
    problem(loadSecret('', ['HS256'], {}), /is empty/);
    problem(loadSecret({ file: files.write('empty', '\n') }, ['HS256'], {}), /is empty/);
  });

  test('an unreadable file names the file and the error code', () => {
    problem(
      loadSecret({ file: `${files.dir}/nope` }, ['HS256'], {}),
      /cannot read secret file .*nope \(ENOENT\)/,
    );
    problem(loadSecret({ file: files.dir }, ['HS256'], {}), /cannot read secret file .* \(EISDIR\)/);
  });

  test('encodings turn text into bytes', () => {
    const bytes = Buffer.alloc(48, 0xab);
    assert.deepEqual(
      ok(loadSecret({ value: bytes.toString('base64'), encoding: 'base64' }, ['HS384'], {})).key.export(),
      bytes,
    );
    assert.deepEqual(
      ok(
        loadSecret({ value: bytes.toString('base64url'), encoding: 'base64url' }, ['HS384'], {}),
      ).key.export(),
      bytes,
    );
    assert.deepEqual(
      ok(loadSecret({ value: bytes.toString('hex'), encoding: 'hex' }, ['HS384'], {})).key.export(),
      bytes,
    );
    // The length rule applies to the decoded bytes: 64 hex characters are only 32 bytes.
    problem(
      loadSecret({ value: 'ab'.repeat(32), encoding: 'hex' }, ['HS384'], {}),
      /has 32 bytes; HS384 needs at least 48/,
    );
  });
});

describe('loadSecret: strength (RFC 7518 3.2)', () => {
  test('at least as many bytes as the strongest HS hash allowed', () => {
    ok(loadSecret('x'.repeat(32), ['HS256'], {}));
    problem(loadSecret('x'.repeat(31), ['HS256'], {}), /has 31 bytes; HS256 needs at least 32/);
    problem(loadSecret('x'.repeat(47), ['HS384'], {}), /needs at least 48/);
    problem(loadSecret('x'.repeat(63), ['HS256', 'HS512'], {}), /HS256\/HS512 needs at least 64/);
    ok(loadSecret('x'.repeat(64), ['HS256', 'HS384', 'HS512'], {}));
  });

  test('multi-byte characters count as their UTF-8 bytes', () => {
    ok(loadSecret('é'.repeat(16), ['HS256'], {})); // 32 bytes
    problem(loadSecret('é'.repeat(15), ['HS256'], {}), /has 30 bytes/);
  });

  test('a problem says how to make a good secret and never contains the secret', () => {
    const secret = 'short-secret-value';
    const message = problem(loadSecret(secret, ['HS256'], {}), /openssl rand/);
    assert.equal(message.includes(secret), false);
    const fromEnv = problem(loadSecret({ env: 'S' }, ['HS256'], { S: secret }), /environment variable S/);
    assert.equal(fromEnv.includes(secret), false);
  });
});

describe('loadSecret: a key is not a secret (RS256 -> HS256 confusion)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const pkcs1 = publicKey.export({ format: 'pem', type: 'pkcs1' }) as string;
  const priv = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const jwk = publicKey.export({ format: 'jwk' });
  const sorted = Object.fromEntries(
    Object.entries({ ...jwk, alg: 'RS256', kid: 'k1', use: 'sig' }).sort(([a], [b]) => a.localeCompare(b)),
  );
  const looksLikeKeys: [string, string][] = [
    ['SPKI PEM', spki],
    ['SPKI PEM without trailing newline', spki.trimEnd()],
    ['PKCS#1 PEM', pkcs1],
    ['private key PEM', priv],
    ['PEM after a blank line', `\n${spki}`],
    ['indented PEM', `  ${spki}`],
    ['JWK, kty first', JSON.stringify(jwk)],
    ['JWK, kty not first (as in sorted JWKS documents)', JSON.stringify(sorted)],
    ['pretty-printed JWK', JSON.stringify(sorted, null, 2)],
    ['JWK after whitespace', ` \n${JSON.stringify(jwk)}`],
  ];

  for (const [name, text] of looksLikeKeys) {
    test(`${name} is refused as a secret`, () => {
      const message = problem(loadSecret(text, ['HS256'], {}), /looks like a key/);
      assert.equal(message.includes(text.trim().slice(0, 40)), false);
      problem(loadSecret({ env: 'K' }, ['HS256'], { K: text }), /environment variable K looks like a key/);
      problem(
        loadSecret({ file: files.write(`key-${name.replace(/\W/g, '')}`, text) }, ['HS256'], {}),
        /looks like a key/,
      );
    });
  }

  test('ordinary secrets that merely contain braces or dashes are fine', () => {
    ok(loadSecret(`{${'x'.repeat(40)}}`, ['HS256'], {}));
    ok(loadSecret(`-----${'x'.repeat(40)}`, ['HS256'], {}));
    ok(loadSecret(`{"note":"${'x'.repeat(40)}"}`, ['HS256'], {}));
  });
});
