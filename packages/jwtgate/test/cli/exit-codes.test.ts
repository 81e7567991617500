// Every exit code the docs promise (docs/errors.md, docs/operations.md) is the one the CLI returns,
// case by case, with one `jwtgate: ` in front of its message and the flag the user typed named in
// it, never an option path from the layers below.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureSigningKey } from '../../src/issuer/keys/rotate-keys.ts';
import { EXIT } from '../../src/lib/coded-error.ts';
import { openTempStore, tempDir } from '../issuer/helpers.ts';
import { type CliResult, cli } from './run-cli.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const EXAMPLE = join(ROOT, 'examples/gateway/jwtgate.yaml');
const KEK = randomBytes(32).toString('base64');

/** The one-line error of a failed command: `jwtgate: <message>`, the prefix once. */
function assertMessage(r: CliResult, pattern: RegExp): void {
  const line = r.stderr.split('\n').find((l) => l.startsWith('jwtgate: ')) ?? '';
  assert.match(line, pattern, r.stderr);
  assert.doesNotMatch(r.stderr, /jwtgate: jwtgate:/);
  assert.doesNotMatch(r.stderr, /options\.providers|\n\s+at /, 'no option path, no stack trace');
}

describe('exit codes, as documented', () => {
  const tmp = tempDir('jwtgate-exit-');
  const encrypted = join(tmp.dir, 'encrypted.db');

  before(async () => {
    // A store whose signing key is encrypted with KEK.
    const store = await openTempStore(encrypted);
    await ensureSigningKey(store, {
      alg: 'ES256',
      now: Date.now(),
      kek: Buffer.from(KEK, 'base64'),
      actor: 'test',
      retentionMs: 1000,
    });
    await store.close();
  });
  after(() => tmp.remove());

  test('the docs list 0, 1, 2 and 78, the codes the CLI is built with', () => {
    const errors = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const table = [...errors.matchAll(/^\| (\d+) +\|/gm)].map((m) => Number(m[1]));
    assert.deepEqual(table, [0, EXIT.failed, EXIT.usage, EXIT.config]);
    const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    assert.match(operations, /0 success, 1 failure .*, 2 wrong usage, 78 invalid configuration/s);
  });

  test('0: --version and --help', async () => {
    assert.equal((await cli(['--version'])).code, 0);
    assert.equal((await cli(['--help'])).code, 0);
    assert.equal((await cli(['users', 'remove', '--help'])).code, 0);
  });

  test('2: an unknown option, a missing argument, a bad value, conflicting arguments', async () => {
    assert.equal((await cli(['demo', '--bogus'])).code, 2);
    assert.equal((await cli(['clients', 'show'])).code, 2);
    const bad = await cli(['demo', '--issuer-port', 'http']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /option '--issuer-port <port>' argument 'http' is invalid/);
    const both = await cli(['token', 'decode', 'a.b.c', '--token-file', EXAMPLE]);
    assert.equal(both.code, 2);
    assertMessage(both, /^jwtgate: give the token or --token-file, not both$/);
  });

  test('2: a value the issuer refuses, named by its flag', async () => {
    const store = join(tmp.dir, 'plain.db');
    const client = await cli(['clients', 'add', 'svc', '--store', store]);
    assert.equal(client.code, 2);
    assertMessage(client, /^jwtgate: --audience: at least one/);
    const user = await cli(['users', 'add', 'bob', '--roles', 'no-equals-sign', '--store', store]);
    assert.equal(user.code, 2);
    assertMessage(user, /^jwtgate: --roles: "no-equals-sign" is not client=role1,role2$/);
  });

  test('1: the command failed (a denied request, an invalid token, no such client)', async () => {
    const env = { SECRET_KEY: 'a'.repeat(48) };
    const denied = await cli(['check', '-c', EXAMPLE, '--path', '/billing/x', '--token', 'not.a.token'], env);
    assert.equal(denied.code, 1);
    assert.match(denied.stdout, /DENY: 401/);
    const invalid = await cli(
      ['token', 'verify', 'not.a.token', '--secret-env', 'SECRET_KEY', '--iss', 'x', '--aud', 'y'],
      env,
    );
    assert.equal(invalid.code, 1);
    const missing = await cli(['clients', 'show', 'nobody', '--store', join(tmp.dir, 'plain.db')]);
    assert.equal(missing.code, 1);
    assertMessage(missing, /^jwtgate: no client nobody$/);
  });

  test('78: an invalid configuration file, issuer options, verifier options, a store that cannot be opened', async () => {
    const config = await cli(['check', '-c', EXAMPLE]);
    assert.equal(config.code, 78);
    assert.match(config.stderr, /SECRET_KEY is not set/);
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'gateway: [');
    assert.equal((await cli(['gateway', '-c', bad])).code, 78);
    const alg = await cli(['issuer', '--alg', 'HS256', '--port', '0', '--store', join(tmp.dir, 'i.db')]);
    assert.equal(alg.code, 78);
    assertMessage(alg, /^jwtgate: --alg: HS256 is only for --tutorial/);
    const rotate = await cli([
      'issuer',
      '--rotate-every',
      '10',
      '--port',
      '0',
      '--store',
      join(tmp.dir, 'i.db'),
    ]);
    assert.equal(rotate.code, 78);
    assertMessage(rotate, /^jwtgate: --rotate-every: 10 s must be longer/);
    const short = await cli(['token', 'verify', 'a.b.c', '--secret', 'short', '--iss', 'x', '--aud', 'y']);
    assert.equal(short.code, 78);
    assertMessage(short, /^jwtgate: --secret: the secret from value has 5 bytes/);
    const http = await cli([
      'token',
      'verify',
      'a.b.c',
      '--jwks-url',
      'http://example.com/j',
      '--iss',
      'x',
      '--aud',
      'y',
    ]);
    assert.equal(http.code, 78);
    assertMessage(
      http,
      /^jwtgate: --jwks-url: uses plain http to a non-loopback host \(give --allow-http to permit it\)$/,
    );
    const store = await cli(['clients', 'list', '--store', 'postgres://jwtgate:s3cret@127.0.0.1:1/x']);
    assert.equal(store.code, 78);
    assertMessage(
      store,
      /^jwtgate: --store: cannot open the store postgres:\/\/jwtgate:\*\*\*@127\.0\.0\.1:1\/x/,
    );
    assert.doesNotMatch(store.stderr, /s3cret/);
  });

  test('78: the key encryption key missing, malformed or wrong (one prefix, never the key)', async () => {
    const unset = await cli(['issuer', '--port', '0', '--store', encrypted]);
    assert.equal(unset.code, 78);
    assertMessage(
      unset,
      /^jwtgate: a private signing key is encrypted, but JWTGATE_KEY_ENCRYPTION_KEY is not set$/,
    );
    const wrong = await cli(['issuer', '--port', '0', '--store', encrypted], {
      JWTGATE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    assert.equal(wrong.code, 78);
    assertMessage(wrong, /^jwtgate: cannot decrypt a private signing key: wrong JWTGATE_KEY_ENCRYPTION_KEY/);
    const malformed = await cli(['keys', 'rotate', '--store', encrypted], {
      JWTGATE_KEY_ENCRYPTION_KEY: 'abc',
    });
    assert.equal(malformed.code, 78);
    assertMessage(
      malformed,
      /^jwtgate: JWTGATE_KEY_ENCRYPTION_KEY must be base64 or base64url of exactly 32 bytes, got 2 bytes/,
    );
    const rotate = await cli(['keys', 'rotate', '--store', encrypted]);
    assert.equal(rotate.code, 78);
    assertMessage(
      rotate,
      /^jwtgate: the signing keys in this store are encrypted: set JWTGATE_KEY_ENCRYPTION_KEY/,
    );
    for (const r of [unset, wrong, malformed, rotate]) assert.ok(!r.stderr.includes(KEK));
    const ok = await cli(['keys', 'list', '--store', encrypted, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
  });
});

describe('help texts say what the commands do', () => {
  test('removing, disabling a user or resetting the password ends their grants (tokens revoked)', async () => {
    for (const command of ['remove', 'disable', 'reset-password']) {
      const help = (await cli(['users', command, '--help'])).stdout.replace(/\s+/g, ' ');
      assert.doesNotMatch(help, /expire by themselves/);
      assert.match(help, /grants|revoked/, command);
    }
  });
});
