import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cli } from '../run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-cli-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('jwtgate keys generate', () => {
  test('--help, and an unknown algorithm is a usage error', async () => {
    const h = await cli(['keys', 'generate', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--out-dir/);
    const bad = await cli(['keys', 'generate', '--alg', 'HS256']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected one of ES256, RS256, PS256, EdDSA/);
  });

  test('prints private and public keys as JWK and PEM', async () => {
    const r = await cli(['keys', 'generate', '--alg', 'RS256', '--kid', 'k1', '--json']);
    assert.equal(r.code, 0);
    const out = JSON.parse(r.stdout);
    assert.equal(out.kid, 'k1');
    assert.equal(out.private_jwk.kty, 'RSA');
    assert.ok(out.private_jwk.d);
    assert.equal(out.public_jwk.d, undefined);
    assert.deepEqual(Object.keys(out.public_jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.match(out.private_pem, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(out.public_pem, /^-----BEGIN PUBLIC KEY-----/);
    const text = await cli(['keys', 'generate']);
    assert.match(text.stdout, /private JWK[\s\S]*public JWK[\s\S]*BEGIN PRIVATE KEY[\s\S]*BEGIN PUBLIC KEY/);
  });

  test('--out-dir writes private files with mode 0600 and refuses to overwrite', async () => {
    const out = join(dir, 'ps');
    const r = await cli(['keys', 'generate', '--alg', 'PS256', '--out-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['private.jwk.json', 'private.pem'])
      assert.equal(statSync(join(out, f)).mode & 0o777, 0o600);
    const jwks = JSON.parse(readFileSync(join(out, 'jwks.json'), 'utf8'));
    assert.equal(jwks.keys[0].alg, 'PS256');
    assert.equal(jwks.keys[0].d, undefined);
    const again = await cli(['keys', 'generate', '--out-dir', out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /--force/);
    assert.equal((await cli(['keys', 'generate', '--out-dir', out, '--force'])).code, 0);
  });
});
