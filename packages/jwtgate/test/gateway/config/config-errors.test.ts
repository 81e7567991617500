// Every configuration error, the semantic ones found while compiling too, names the file, the
// path inside it and its line.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { compileGateway } from '../../../src/gateway/config/compile-gateway.ts';
import { readConfig } from '../../../src/gateway/config/read-config.ts';
import { ConfigError } from '../../../src/gateway/errors.ts';
import { RevocationList } from '../../../src/gateway/state/revocation-list.ts';
import { SECRET_A, tempDir } from '../helpers/config.ts';

const dir = tempDir('config-errors');
after(() => dir.remove());

const HEAD = `gateway:
  listen: 127.0.0.1:9001
  providers:
    a:
      issuer: https://a.test
      secret: \${SECRET}
      algorithms: [HS256]
      audiences: [api]
  routes:
`;

/** The problems of loading `routes` (YAML under `routes:`), asserting one ConfigError naming the file. */
function problems(routes: string, env: NodeJS.ProcessEnv = { SECRET: SECRET_A }): readonly string[] {
  const file = dir.write(`c-${Math.random().toString(36).slice(2)}.yaml`, HEAD + routes);
  try {
    compileGateway(readConfig(file, env), { revocations: new RevocationList() });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(err.message.startsWith(`invalid configuration ${file}:`), err.message);
    return err.problems;
  }
  assert.fail('expected the configuration to be refused');
}

describe('configuration errors name the path and the line', () => {
  test('an unknown provider: the line of the name', () => {
    const found = problems(`    - name: x
      match: { path: /x }
      requires:
        provider: nope
      upstream: http://127.0.0.1:7001
`);
    assert.deepEqual(found, [
      'gateway.routes[0].requires.provider (line 13): unknown provider "nope" (providers: a)',
    ]);
  });

  test('a route without requires: the line of the route', () => {
    const found = problems(`    - name: x
      match: { path: /x }
      upstream: http://127.0.0.1:7001
`);
    assert.deepEqual(found, [
      'gateway.routes[0] (line 10): requires is missing (routes are protected unless public: true)',
    ]);
  });

  test('an unset environment variable: the line where it is used', () => {
    const found = problems(
      `    - { name: x, match: { path: /x }, public: true, upstream: http://127.0.0.1:7001 }
`,
      {},
    );
    assert.deepEqual(found, ['gateway.providers.a.secret (line 6): environment variable SECRET is not set']);
  });

  test('a misspelt key: its own line, and the key it was likely meant to be', () => {
    const found = problems(`    - name: x
      match: { path: /x }
      pubic: true
      upstream: http://127.0.0.1:7001
`);
    assert.deepEqual(found, [
      'gateway.routes[0].pubic (line 12): unknown key "pubic" (did you mean "public"?)',
    ]);
  });

  test('a duplicate name and a bad strip_prefix: each at its own line', () => {
    const found =
      problems(`    - { name: x, match: { path: /x }, public: true, upstream: http://127.0.0.1:7001 }
    - name: x
      match: { path: /y/** }
      public: true
      strip_prefix: /z
      upstream: http://127.0.0.1:7001
`);
    assert.deepEqual(found, [
      'gateway.routes[1].name (line 11): duplicate route name "x" (also gateway.routes[0])',
      'gateway.routes[1].strip_prefix (line 14): /z is not a prefix of /y/**',
    ]);
  });

  test('an option the verify core refuses: the path as the file spells it, and its line', () => {
    const file = dir.write(
      'weak.yaml',
      `${HEAD}    - { name: x, match: { path: /x }, public: true, upstream: http://127.0.0.1:7001 }\n`,
    );
    assert.throws(
      () => compileGateway(readConfig(file, { SECRET: 'short' }), { revocations: new RevocationList() }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /^gateway\.providers\.a\.secret \(line 6\): /.test(err.problems[0] ?? ''),
    );
  });
});

describe('optional authentication and claim conditions at load', () => {
  test('optional with roles, or a claim naming a parameter the path lacks, is refused at its line', () => {
    assert.deepEqual(
      problems(`    - name: x
      match: { path: /x }
      requires: { provider: a, optional: true, roles_any: [admin] }
      upstream: http://127.0.0.1:7001
`),
      [
        'gateway.routes[0].requires (line 12): optional cannot be combined with roles_*, scopes_*, claims or amr_any (a request without a token would pass them)',
      ],
    );
    assert.deepEqual(
      problems(`    - name: x
      match: { path: '/x/{id}' }
      requires:
        provider: a
        claims: { org: '{org}' }
      upstream: http://127.0.0.1:7001
`),
      ['gateway.routes[0].requires.claims.org (line 14): {org} is not a parameter of the path /x/{id}'],
    );
  });
});
