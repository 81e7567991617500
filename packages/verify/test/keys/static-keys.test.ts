import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { loadStaticKeys } from '../../src/keys/static-keys.ts';
import { tempDir } from '../helpers/forge.ts';

const files = tempDir();
after(() => files.cleanup());

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ed = generateKeyPairSync('ed25519');
const jwk = (key: KeyObject, extra: Record<string, unknown> = {}) => ({
  ...key.export({ format: 'jwk' }),
  ...extra,
});
const sameKey = (a: KeyObject, b: KeyObject) =>
  assert.deepEqual(a.export({ format: 'jwk' }), b.export({ format: 'jwk' }));

describe('loadStaticKeys: inline JWKS', () => {
  test('loads every key with its kid and alg; JWKS keys never match any kid', () => {
    const keys = loadStaticKeys({
      jwks: {
        keys: [
          jwk(rsa.publicKey, { kid: 'r', alg: 'RS256' }),
          jwk(ec.publicKey, { kid: 'e' }),
          jwk(ed.publicKey),
        ],
      },
    });
    assert.deepEqual(
      keys.map((k) => [k.kid, k.kind, k.alg, k.anyKid]),
      [
        ['r', 'RSA', 'RS256', false],
        ['e', 'EC', undefined, false],
        [undefined, 'OKP', undefined, false],
      ],
    );
    sameKey(keys[0]?.key as KeyObject, rsa.publicKey);
  });

  test('one unusable key fails the whole configuration, naming its index', () => {
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    assert.throws(
      () => loadStaticKeys({ jwks: { keys: [jwk(ec.publicKey), jwk(short)] } }),
      /jwks key 1: RSA key shorter than 2048 bits/,
    );
    assert.throws(
      () => loadStaticKeys({ jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } }),
      /jwks key 0: unsupported kty oct/,
    );
    assert.throws(
      () => loadStaticKeys({ jwks: { keys: [jwk(ec.publicKey, { use: 'enc' })] } }),
      /jwks key 0: use/,
    );
  });

  test('a JWKS without a keys array, or no keys at all, is refused', () => {
    assert.throws(() => loadStaticKeys({ jwks: {} as { keys: unknown[] } }), /jwks has no "keys" array/);
    assert.throws(() => loadStaticKeys({ jwks: { keys: [] } }), /no keys configured/);
    assert.throws(() => loadStaticKeys({}), /no keys configured/);
  });
});

describe('loadStaticKeys: jwksFile', () => {
  test('reads a JWKS file', () => {
    const file = files.write('jwks.json', JSON.stringify({ keys: [jwk(ec.publicKey, { kid: 'e' })] }));
    const keys = loadStaticKeys({ jwksFile: file });
    assert.deepEqual(
      keys.map((k) => k.kid),
      ['e'],
    );
  });

  test('a missing, non-JSON or keyless file is an error naming the file', () => {
    assert.throws(
      () => loadStaticKeys({ jwksFile: `${files.dir}/missing.json` }),
      /cannot read .*missing\.json \(ENOENT\)/,
    );
    const notJson = files.write('not.json', 'keys: []');
    assert.throws(() => loadStaticKeys({ jwksFile: notJson }), /not\.json is not JSON/);
    const keyless = files.write('keyless.json', '{"kty":"EC"}');
    assert.throws(() => loadStaticKeys({ jwksFile: keyless }), /keyless\.json has no "keys" array/);
  });
});

describe('loadStaticKeys: key files', () => {
  const pems = {
    spki: rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string,
    pkcs1: rsa.publicKey.export({ format: 'pem', type: 'pkcs1' }) as string,
    ecSpki: ec.publicKey.export({ format: 'pem', type: 'spki' }) as string,
    edSpki: ed.publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };

  test('SPKI and PKCS#1 PEM, EC and Ed25519 PEM, and a JWK file all load', () => {
    for (const [name, text] of Object.entries(pems)) {
      const [key] = loadStaticKeys({ files: [files.write(`${name}.pem`, text)] });
      assert.ok(key, name);
      assert.equal(key.key.type, 'public');
    }
    const [fromJwk] = loadStaticKeys({
      files: [files.write('key.jwk', `\n  ${JSON.stringify(jwk(ec.publicKey, { kid: 'e' }))}\n`)],
    });
    assert.equal(fromJwk?.kid, 'e');
    assert.equal(fromJwk?.curve, 'P-256');
  });

  test('a single key file matches any kid; several files or files next to a JWKS do not', () => {
    const one = files.write('one.pem', pems.spki);
    const two = files.write('two.pem', pems.ecSpki);
    assert.deepEqual(
      loadStaticKeys({ files: [one] }).map((k) => k.anyKid),
      [true],
    );
    assert.deepEqual(
      loadStaticKeys({ files: [one, two] }).map((k) => k.anyKid),
      [false, false],
    );
    assert.deepEqual(
      loadStaticKeys({ jwks: { keys: [jwk(ed.publicKey, { kid: 'x' })] }, files: [one] }).map(
        (k) => k.anyKid,
      ),
      [false, false],
    );
  });

  test('a private key file yields only its public key', () => {
    const [key] = loadStaticKeys({
      files: [files.write('private.pem', rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }))],
    });
    assert.equal(key?.key.type, 'public');
    sameKey(key?.key as KeyObject, rsa.publicKey);
  });

  test('an X.509 certificate loads its public key', (t) => {
    let cert: string;
    try {
      const keyFile = files.write('cert-key.pem', ec.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      cert = execFileSync(
        'openssl',
        ['req', '-new', '-x509', '-key', keyFile, '-subj', '/CN=test', '-days', '1'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
    } catch {
      t.skip('openssl is not available to make a certificate');
      return;
    }
    const [key] = loadStaticKeys({ files: [files.write('cert.pem', cert)] });
    sameKey(key?.key as KeyObject, ec.publicKey);
  });

  test('unusable files are errors naming the file', () => {
    const garbage = files.write('garbage.pem', 'hello');
    assert.throws(
      () => loadStaticKeys({ files: [garbage] }),
      /garbage\.pem is not a PEM public key or certificate/,
    );
    const badJson = files.write('bad.jwk', '{"kty":');
    assert.throws(() => loadStaticKeys({ files: [badJson] }), /bad\.jwk is neither PEM nor JSON/);
    const jwksInFile = files.write('jwks-as-key.json', JSON.stringify({ keys: [jwk(ec.publicKey)] }));
    assert.throws(() => loadStaticKeys({ files: [jwksInFile] }), /jwks-as-key\.json unsupported kty/);
    const short = files.write(
      'short.pem',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }),
    );
    assert.throws(() => loadStaticKeys({ files: [short] }), /short\.pem RSA key shorter than 2048 bits/);
    assert.throws(
      () => loadStaticKeys({ files: [`${files.dir}/absent.pem`] }),
      /cannot read .*absent\.pem \(ENOENT\)/,
    );
  });

  test('an HMAC secret in a key file is not a key', () => {
    const file = files.write(
      'secret.jwk',
      JSON.stringify({ kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url') }),
    );
    assert.throws(() => loadStaticKeys({ files: [file] }), /unsupported kty oct/);
  });
});
