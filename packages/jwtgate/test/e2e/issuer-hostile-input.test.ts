// End to end against a real `jwtgate issuer` process and the CLI on one SQLite file: input an
// attacker or a careless operator can give the issuer. Client ids and role keys named like
// Object.prototype members work like any other, `__proto__` changes nothing, a malformed
// percent-escape in an admin API path is a 400, editing an unknown client or user in the console
// is a 404, and weak or unusable client keys are refused wherever a client is registered. The
// issuer logs no server error for any of it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConsoleBrowser, csrfOf, shownValue } from '../issuer/console/console-helpers.ts';
import {
  AUDIENCE,
  basic,
  CLI,
  decodePart,
  freePort,
  getToken,
  type IssuerProcess,
  runCli,
  startIssuerProcess,
  type TestIssuer,
  tempDir,
} from '../issuer/helpers.ts';
import { CookieJar, loginForCode, pkcePair, REDIRECT_URI } from '../issuer/login/login-helpers.ts';

const ADMIN_TOKEN = randomBytes(32).toString('base64url');
const ADMIN = { username: 'root', password: 'hostile input admin password' };
const ALICE = { username: 'alice', password: 'alice has a long password' };
/** Names every plain object inherits. */
const PROTO_NAMES = ['hasOwnProperty', 'constructor', 'toString', 'valueOf'] as const;

/** `jwtgate <args>` with `stdin` written to its standard input. */
function cliWithInput(args: string[], stdin: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=jwtgate-source', CLI, ...args], {
      env: { ...process.env, JWTGATE_KEY_ENCRYPTION_KEY: undefined },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.stdin.end(`${stdin}\n`);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** An RSA public JWK with a modulus of 17 bits (n = 0x1d3c3): factored by hand. */
const TINY_RSA = { kty: 'RSA', n: 'AdPD', e: 'AQAB', kid: 'tiny' };

describe('jwtgate issuer: hostile input', () => {
  const tmp = tempDir('jwtgate-hostile-');
  const store = join(tmp.dir, 'issuer.db');
  let issuer: IssuerProcess;
  let url: string;
  const cli = (...args: string[]) => runCli([...args, `--store=${store}`]);
  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });

  before(async () => {
    for (const [user, extra] of [
      [ADMIN, ['--admin']],
      // Roles for a client named `constructor` and for every client; none for `toString`.
      [ALICE, ['--roles', 'constructor=reader', '--roles', '*=staff']],
    ] as const) {
      const r = await cliWithInput(
        ['users', 'add', user.username, ...extra, '--password-stdin', `--store=${store}`],
        user.password,
      );
      assert.equal(r.code, 0, r.output);
    }
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    issuer = startIssuerProcess(['--port', String(port), '--store', store], {
      JWTGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    await issuer.ready;
  });

  after(async () => {
    await issuer?.stop();
    tmp.remove();
  });

  test('client ids named like Object.prototype members get client-credentials tokens', async () => {
    for (const id of PROTO_NAMES) {
      const res = await admin('/admin/clients', {
        body: { id, audiences: [AUDIENCE], roles: [`${id}-role`], scopes: ['read'] },
      });
      const body = (await res.json()) as { client_secret: string };
      assert.equal(res.status, 201, `${id}: ${JSON.stringify(body)}`);
      const token = await getToken(url, id, body.client_secret);
      const claims = decodePart(token, 1);
      assert.equal(claims.client_id, id);
      assert.deepEqual(claims.roles, [`${id}-role`]);
      const shown = await admin(`/admin/clients/${id}`);
      assert.equal(shown.status, 200);
    }
    const list = await cli('clients', 'list');
    assert.equal(list.code, 0, list.stderr);
    for (const id of PROTO_NAMES) assert.match(list.stdout, new RegExp(`^${id}\\s`, 'm'));
  });

  test("a user's roles for such clients: own entries only, in the authorization code flow", async () => {
    const secrets = new Map<string, string>();
    // Registered as service clients above: the console gives them the code flow too.
    const b = new ConsoleBrowser(url);
    const signedIn = await b.signIn(ADMIN);
    assert.equal(signedIn.status, 303, signedIn.text);
    for (const id of ['constructor', 'toString']) {
      const saved = await b.submit(`/console/clients/${id}`, `/console/clients/${id}`, {
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirect_uris: REDIRECT_URI,
        audiences: AUDIENCE,
        scopes: 'read',
        roles: `${id}-role`,
      });
      assert.equal(saved.status, 303, `${id}: ${saved.status} ${saved.text.slice(0, 500)}`);
      const rotated = await b.submit(`/console/clients/${id}`, `/console/clients/${id}/rotate-secret`, {});
      assert.equal(rotated.status, 200);
      secrets.set(id, shownValue(rotated.text, 'client-secret-value'));
    }
    const t = { url } as TestIssuer;
    for (const [id, expected] of [
      ['constructor', ['reader', 'staff']],
      ['toString', ['staff']],
    ] as const) {
      const jar = new CookieJar();
      const { verifier, challenge } = pkcePair();
      const callback = await loginForCode(
        t,
        jar,
        { client_id: id, code_challenge: challenge, code_challenge_method: 'S256', scope: 'openid read' },
        ALICE,
      );
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(id, secrets.get(id) as string),
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: callback.get('code') as string,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
        }),
      });
      const body = (await res.json()) as { access_token: string };
      assert.equal(res.status, 200, `${id}: ${JSON.stringify(body)}`);
      assert.deepEqual(decodePart(body.access_token, 1).roles, expected, id);
    }
  });

  test('role keys named like Object.prototype members: CLI and console; __proto__ is refused', async () => {
    const set = await cli('users', 'set-roles', 'alice', 'hasOwnProperty=x,y', 'valueOf=z', '--json');
    assert.equal(set.code, 0, set.stderr);
    const roles = (JSON.parse(set.stdout) as { roles: Record<string, string[]> }).roles;
    assert.deepEqual(roles, {
      constructor: ['reader'],
      '*': ['staff'],
      hasOwnProperty: ['x', 'y'],
      valueOf: ['z'],
    });
    const shown = await cli('users', 'show', 'alice');
    assert.match(shown.stdout, /roles:\s+.*hasOwnProperty=x,y/);
    const proto = await cli('users', 'set-roles', 'alice', '__proto__=admin');
    assert.equal(proto.code, 2, 'a refused value is wrong usage');
    assert.match(proto.stderr, /<client=roles...>: "__proto__" is not a client id/);
    const protoAdd = await cliWithInput(
      ['users', 'add', 'mallory', '--roles', '__proto__=admin', '--password-stdin', `--store=${store}`],
      'mallory password long enough',
    );
    assert.equal(protoAdd.code, 2, protoAdd.output);

    const b = new ConsoleBrowser(url);
    assert.equal((await b.signIn(ADMIN)).status, 303);
    const created = await b.submit('/console/users/_new', '/console/users', {
      username: 'carol',
      roles: 'constructor=a\ntoString=b,c\nhasOwnProperty=d',
    });
    assert.equal(created.status, 201, created.text.slice(0, 500));
    const carolId = /href="\/console\/users\/(usr_[^"]+)"/.exec(created.text)?.[1] as string;
    const edited = await b.submit(`/console/users/${carolId}`, `/console/users/${carolId}/roles`, {
      roles: 'valueOf=e\nconstructor=f',
    });
    assert.equal(edited.status, 303, edited.text.slice(0, 500));
    const page = await b.get(`/console/users/${carolId}`);
    // The clients carol had and the text left out (toString, hasOwnProperty) lost their roles.
    assert.match(page.text, />constructor=f\nvalueOf=e<\/textarea>/);
    const refused = await b.submit(`/console/users/${carolId}`, `/console/users/${carolId}/roles`, {
      roles: '__proto__=admin',
    });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /&quot;__proto__&quot; is not a client id/);
    const list = await b.get('/console/users');
    assert.equal(list.status, 200);
    // A notice name from the URL is looked up among the console's own notices only.
    for (const done of [...PROTO_NAMES, '__proto__']) {
      const r = await b.get(`/console/clients?done=${done}`);
      assert.equal(r.status, 200, done);
      assert.doesNotMatch(r.text, /class="notice"|native code/);
    }
  });

  test('custom claims cannot carry a __proto__ member', async () => {
    const res = await fetch(`${url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{"id":"polluter","audiences":["https://billing.example"],"claims":{"__proto__":{"admin":true}}}',
    });
    assert.equal(res.status, 400);
    assert.deepEqual(((await res.json()) as { error: string }).error, 'ERR_CLIENT_INVALID');
    const cliRes = await cli(
      'clients',
      'add',
      'polluter',
      '--audience',
      AUDIENCE,
      '--claim',
      '__proto__={"a":1}',
    );
    assert.equal(cliRes.code, 2, 'a refused value is wrong usage');
    assert.match(cliRes.stderr, /--claim: "__proto__" cannot be a claim/);
  });

  test('a malformed percent-escape in an admin API path is 400 ERR_ADMIN_PATH_INVALID', async () => {
    for (const [method, path] of [
      ['GET', '/admin/clients/%E0%A4%A'],
      ['DELETE', '/admin/clients/%E0%A4%A'],
      ['POST', '/admin/clients/%ZZ/rotate-secret'],
      ['GET', '/admin/%C0'],
    ] as const) {
      const res = await admin(path, { method });
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.deepEqual(await res.json(), {
        error: 'ERR_ADMIN_PATH_INVALID',
        message: 'the path has a malformed percent-escape (RFC 3986 2.1)',
      });
    }
  });

  test('the console answers 404 for editing an unknown client or user (GET and POST)', async () => {
    const b = new ConsoleBrowser(url);
    assert.equal((await b.signIn(ADMIN)).status, 303);
    const csrf = csrfOf((await b.get('/console/clients')).text);
    for (const path of ['/console/clients/no-such-client', '/console/users/usr_nosuchuser0000000000']) {
      assert.equal((await b.get(path)).status, 404, `GET ${path}`);
      const posted = await b.request(path, {
        form: { csrf, audiences: AUDIENCE, grant_types: 'client_credentials', roles: 'a=b' },
      });
      assert.equal(posted.status, 404, `POST ${path}: ${posted.text.slice(0, 300)}`);
    }
    for (const action of ['roles', 'disable', 'password', 'delete']) {
      const posted = await b.request(`/console/users/usr_nosuchuser0000000000/${action}`, {
        form: { csrf, roles: 'a=b' },
      });
      assert.equal(posted.status, 404, action);
    }
    for (const action of ['rotate-secret', 'delete']) {
      const posted = await b.request(`/console/clients/no-such-client/${action}`, { form: { csrf } });
      assert.equal(posted.status, 404, action);
    }
  });

  test('weak or unusable client keys are refused by the CLI, the admin API and the console', async () => {
    const { publicKey: rsa1024 } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { publicKey: k256 } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const { privateKey: ecPrivate } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cases: [Record<string, unknown>, RegExp][] = [
      [TINY_RSA, /jwks\.keys\[0\] \(kid "tiny"\): the RSA modulus has 17 bits; at least 2048/],
      [
        { ...rsa1024.export({ format: 'jwk' }), kid: 'r1024' },
        /\(kid "r1024"\): the RSA modulus has 1024 bits/,
      ],
      [k256.export({ format: 'jwk' }), /jwks\.keys\[0\]: curve "secp256k1" is not accepted/],
      [ecPrivate.export({ format: 'jwk' }), /jwks\.keys\[0\]: holds private key material \("d"\)/],
      [{ kty: 'oct', k: 'c2VjcmV0', kid: 'shared' }, /\(kid "shared"\): a symmetric key/],
    ];
    const b = new ConsoleBrowser(url);
    assert.equal((await b.signIn(ADMIN)).status, 303);
    for (const [i, [key, message]] of cases.entries()) {
      const jwks = { keys: [key] };
      const file = join(tmp.dir, `weak-${i}.json`);
      writeFileSync(file, JSON.stringify(jwks));
      const byCli = await cli(
        'clients',
        'add',
        `weak-${i}`,
        '--auth-method',
        'private_key_jwt',
        '--jwks-file',
        file,
        '--audience',
        AUDIENCE,
      );
      assert.equal(byCli.code, 1, byCli.stdout);
      assert.match(byCli.stderr, message);

      const byApi = await admin('/admin/clients', {
        body: { id: `weak-${i}`, auth_method: 'private_key_jwt', jwks, audiences: [AUDIENCE] },
      });
      const answer = (await byApi.json()) as { error: string; message: string };
      assert.equal(byApi.status, 400);
      assert.equal(answer.error, 'ERR_CLIENT_KEY_INVALID');
      assert.match(answer.message, message);

      const byConsole = await b.submit('/console/clients/_new', '/console/clients', {
        id: `weak-${i}`,
        auth_method: 'private_key_jwt',
        grant_types: 'client_credentials',
        audiences: AUDIENCE,
        jwks: JSON.stringify(jwks),
      });
      assert.equal(byConsole.status, 400);
      assert.match(byConsole.text.replaceAll('&quot;', '"'), message);
    }
    const listed = (await (await admin('/admin/clients')).json()) as { clients: { id: string }[] };
    assert.ok(!listed.clients.some((c) => c.id.startsWith('weak-')));
    // A strong key still registers.
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ok = await admin('/admin/clients', {
      body: {
        id: 'strong',
        auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'PS256' }] },
        audiences: [AUDIENCE],
      },
    });
    assert.equal(ok.status, 201);
  });

  test('none of it was a server error', () => {
    const errors = issuer
      .output()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(errors, []);
  });
});
