// End to end: the administration commands against one store file, as an operator runs them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { verifyClientSecret } from '../../src/store/hash-secret.ts';
import { openTempStore, runCli, tempDir } from '../issuer/helpers.ts';

describe('jwtgate clients | keys | tokens', () => {
  const tmp = tempDir();
  const store = join(tmp.dir, 'issuer.db');
  const cli = (...args: string[]) => runCli([...args, `--store=${store}`]);
  after(() => tmp.remove());

  test('clients add prints the secret once; only its hash is stored', async () => {
    const r = await cli(
      'clients',
      'add',
      'billing',
      '--audience',
      'https://billing.example',
      '--scope',
      'read,write',
      '--role',
      'billing',
      '--claim',
      'tenant=acme',
      '--claim',
      'limits={"rpm":60}',
    );
    assert.equal(r.code, 0, r.stderr);
    const secret = /client_secret: (\S+)/.exec(r.stdout)?.[1] as string;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/, '256 bits, base64url');
    assert.match(r.stdout, /shown only this once/);
    const db = await openTempStore(store);
    const record = await db.clients.get('billing');
    const audit = await db.audit.recent(10);
    await db.close();
    assert.ok(record?.secretHash?.startsWith('sha256:'));
    assert.ok(verifyClientSecret(secret, record?.secretHash as string));
    assert.deepEqual(record?.claims, { tenant: 'acme', limits: { rpm: 60 } });
    assert.ok(!JSON.stringify(audit).includes(secret));
    assert.ok(!JSON.stringify(audit).includes(record?.secretHash as string));
  });

  test('list and show never show a secret or its hash; --json is data', async () => {
    const list = await cli('clients', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const clients = JSON.parse(list.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      clients.map((c) => c.id),
      ['billing'],
    );
    assert.equal(clients[0]?.auth_method, 'client_secret_basic');
    assert.doesNotMatch(list.stdout, /sha256:|secret_hash|secretHash/);
    const show = await cli('clients', 'show', 'billing');
    assert.match(show.stdout, /audiences:\s+https:\/\/billing\.example/);
    assert.doesNotMatch(show.stdout, /sha256:/);
    const text = await cli('clients', 'list');
    assert.match(text.stdout, /^ID\s+AUTH METHOD/);
  });

  test('invalid definitions are refused with the flag named (exit 2)', async () => {
    const noAudience = await cli('clients', 'add', 'x');
    assert.equal(noAudience.code, 2);
    assert.match(noAudience.stderr, /^jwtgate: --audience: at least one/);
    const reserved = await cli(
      'clients',
      'add',
      'y',
      '--audience',
      'https://a.example',
      '--claim',
      'sub=admin',
    );
    assert.match(reserved.stderr, /^jwtgate: --claim: "sub" is set by the issuer/);
    const dup = await cli('clients', 'add', 'billing', '--audience', 'https://a.example');
    assert.match(dup.stderr, /already exists/);
    const keyless = await cli(
      'clients',
      'add',
      'z',
      '--audience',
      'https://a.example',
      '--auth-method',
      'private_key_jwt',
    );
    assert.match(keyless.stderr, /^jwtgate: --jwks-file: private_key_jwt needs/);
  });

  test('clients add --grant-type and --redirect-uri register a client users log in to', async () => {
    const r = await cli(
      'clients',
      'add',
      'webapp',
      '--audience',
      'https://api.example',
      '--grant-type',
      'authorization_code,refresh_token',
      '--redirect-uri',
      'https://app.example/callback',
      '--redirect-uri',
      'http://127.0.0.1:3000/callback',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const { client } = JSON.parse(r.stdout) as { client: Record<string, unknown> };
    assert.deepEqual(client.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(client.redirect_uris, [
      'https://app.example/callback',
      'http://127.0.0.1:3000/callback',
    ]);
    assert.match(
      (await cli('clients', 'show', 'webapp')).stdout,
      /grant types: authorization_code,refresh_token/,
    );
    const noRedirect = await cli(
      'clients',
      'add',
      'webapp2',
      '--audience',
      'https://api.example',
      '--grant-type',
      'authorization_code',
    );
    assert.equal(noRedirect.code, 2);
    assert.match(noRedirect.stderr, /^jwtgate: --redirect-uri: authorization_code needs at least one/);
    const plainHttp = await cli(
      'clients',
      'add',
      'webapp3',
      '--audience',
      'https://api.example',
      '--grant-type',
      'authorization_code',
      '--redirect-uri',
      'http://app.example/callback',
    );
    assert.equal(plainHttp.code, 2);
    assert.match(plainHttp.stderr, /^jwtgate: --redirect-uri: "http:\/\/app.example\/callback" is not valid/);
  });

  test('rotate-secret replaces the secret; remove deletes the client', async () => {
    const r = await cli('clients', 'rotate-secret', 'billing', '--json');
    const { client_secret: secret } = JSON.parse(r.stdout) as { client_secret: string };
    const db = await openTempStore(store);
    assert.ok(verifyClientSecret(secret, (await db.clients.get('billing'))?.secretHash as string));
    await db.close();
    assert.equal((await cli('clients', 'remove', 'billing')).code, 0);
    const gone = await cli('clients', 'show', 'billing');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no client billing/);
  });

  test('keys rotate and keys list', async () => {
    const rotated = await cli('keys', 'rotate', '--alg', 'PS256', '--pre-publish', '60', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const key = JSON.parse(rotated.stdout) as { kid: string; alg: string; state: string };
    assert.equal(key.alg, 'PS256');
    assert.equal(key.state, 'next');
    const list = JSON.parse((await cli('keys', 'list', '--json')).stdout) as Record<string, unknown>[];
    assert.equal(list[0]?.kid, key.kid);
    assert.doesNotMatch(JSON.stringify(list), /"d"|privateJwk|private_jwk/);
    const bad = await cli('keys', 'rotate', '--alg', 'HS256');
    assert.match(bad.stderr, /HS256 exists only in tutorial mode/);
  });

  test('tokens revoke puts the jti on the list, audited', async () => {
    const r = await cli('tokens', 'revoke', 'jti-123', '--exp', String(Math.floor(Date.now() / 1000) + 120));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /revoked jti-123 until/);
    const db = await openTempStore(store);
    assert.equal(await db.revocations.isRevoked('jti-123'), true);
    const [event] = await db.audit.recent(1, ['token.revoked']);
    await db.close();
    assert.equal(event?.subject, 'jti-123');
    assert.equal(event?.actor, 'cli');
  });
});
