import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from '../run-cli.ts';

const SECRET_KEY = randomBytes(48).toString('base64');
const env = { SECRET_KEY };
const dir = mkdtempSync(join(tmpdir(), 'jwtgate-cli-check-'));
const config = join(dir, 'jwtgate.yaml');
after(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `gateway:
  listen: 127.0.0.1:9001
  providers:
    corp:
      issuer: https://issuer.example
      keys: { jwks_file: ${join(dir, 'keys', 'jwks.json')} }
      algorithms: [ES256]
      audiences: [api://gateway]
      token_types: [at+jwt]
    tutorial:
      issuer: jwtgo.io
      secret: \${SECRET_KEY}
      algorithms: [HS256]
      audiences: [billing.jwtgo.io]
      token_from: [{ header: Token }, { bearer: true }]
  routes:
    - name: health
      match: { path: /healthz }
      public: true
      upstream: http://127.0.0.1:7001
    - name: billing
      match: { path: /billing/**, methods: [GET, POST] }
      requires: { provider: corp, roles_any: [billing] }
      upstream: http://127.0.0.1:7001
      strip_prefix: /billing
      identity_headers: { X-User-Id: sub }
    - name: tutorial
      match: { path: / }
      requires: { provider: tutorial }
      upstream: http://127.0.0.1:7002
`;

let billing: string;
let noRole: string;

before(async () => {
  writeFileSync(config, YAML);
  const keys = await cli(['keys', 'generate', '--alg', 'ES256', '--out-dir', join(dir, 'keys')]);
  assert.equal(keys.code, 0, keys.stderr);
  const mint = async (...claims: string[]) => {
    const r = await cli([
      'token',
      'mint',
      '--key-file',
      join(dir, 'keys', 'private.jwk.json'),
      '--iss',
      'https://issuer.example',
      '--aud',
      'api://gateway',
      '--sub',
      'bob',
      '--typ',
      'at+jwt',
      ...claims,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  billing = await mint('--claim', 'roles=["billing"]');
  noRole = await mint();
});

const check = (...args: string[]) => cli(['check', '-c', config, ...args], env);

describe('jwtgate check', () => {
  test('--help names the exit codes', async () => {
    const r = await cli(['check', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /78 invalid configuration/);
  });

  test('a valid configuration: exit 0 with its routes', async () => {
    const r = await check();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /is valid: 2 provider\(s\), 3 route\(s\)/);
    const j = JSON.parse((await check('--json')).stdout);
    assert.deepEqual(j.routes, ['health', 'billing', 'tutorial']);
  });

  test('an invalid configuration: exit 78, naming file, path and line', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      YAML.replace('audiences: [api://gateway]', 'audiences: [api://gateway]\n      bogus: 1'),
    );
    const r = await cli(['check', '-c', bad], env);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /bad\.yaml/);
    assert.match(r.stderr, /gateway\.providers\.corp\.bogus \(line \d+\): unknown key "bogus"/);
    const missing = await cli(['check', '-c', join(dir, 'none.yaml')]);
    assert.equal(missing.code, 78);
    const noSecret = await cli(['check', '-c', config], { SECRET_KEY: '' });
    assert.equal(noSecret.code, 78);
  });

  test('an allowed request: each step passed, forwarded with identity headers, exit 0', async () => {
    const r = await check('--path', '/billing/invoices', '--token', billing);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ route: billing/);
    assert.match(r.stdout, /✓ signature/);
    assert.match(r.stdout, /ALLOW: forwarded to http:\/\/127\.0\.0\.1:7001\/invoices/);
    assert.match(r.stdout, /x-user-id: bob/);
  });

  test('a missing role: 403 ERR_INSUFFICIENT_ROLE at the roles step, exit 1', async () => {
    const r = await check('--path', '/billing/x', '--token', noRole, '--json');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.decision, { allow: false, status: 403, code: 'ERR_INSUFFICIENT_ROLE' });
    const steps = j.verification[0].steps;
    assert.equal(steps.at(-1).status, 'failed');
    assert.equal(steps.at(-1).step, 'authorization');
  });

  test('no token, wrong provider, path safety, 404 and 405', async () => {
    const missing = JSON.parse((await check('--path', '/billing/x', '--json')).stdout);
    assert.equal(missing.decision.code, 'ERR_TOKEN_MISSING');
    const tutorialToken = (
      await cli(
        ['token', 'mint', '--secret-env', 'SECRET_KEY', '--iss', 'jwtgo.io', '--aud', 'billing.jwtgo.io'],
        env,
      )
    ).stdout.trim();
    const wrong = JSON.parse(
      (await check('--path', '/billing/x', '--token', tutorialToken, '--json')).stdout,
    );
    assert.equal(wrong.decision.code, 'ERR_ISSUER_MISMATCH');
    assert.equal(wrong.verification[0].steps[1].status, 'failed');
    const tutorial = await check('--path', '/', '--token', tutorialToken);
    assert.equal(tutorial.code, 0, tutorial.stdout);
    assert.match(tutorial.stdout, /sent as Token: <token>/);
    const unsafe = await check('--path', '/billing/%2e%2e/admin');
    assert.equal(unsafe.code, 1);
    assert.match(unsafe.stdout, /DENY: 400 ERR_PATH_INVALID/);
    assert.match((await check('--path', '/nowhere')).stdout, /DENY: 404 ERR_ROUTE_NOT_FOUND/);
    const put = await check('--method', 'put', '--path', '/billing/x', '--json');
    assert.equal(JSON.parse(put.stdout).decision.allow, 'GET, POST');
    assert.equal((await check('--path', '/healthz')).code, 0);
  });

  test('usage errors exit 2', async () => {
    assert.equal((await check('--token', 'x')).code, 2);
    assert.equal((await check('--path', 'relative')).code, 2);
    assert.equal((await check('--unknown')).code, 2);
  });
});
