// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${ENV} placeholders in config text are what these tests are about.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { readConfig } from '../../../src/gateway/config/read-config.ts';
import { CONFIG_SCHEMA } from '../../../src/gateway/config/schema.ts';
import { ConfigError } from '../../../src/gateway/errors.ts';
import { EXAMPLE_CONFIG, tempDir } from '../helpers/config.ts';

const tmp = tempDir('read-config');
after(() => tmp.remove());

const SECRET_KEY = 'a-long-enough-tutorial-secret-0123456789abcdef';

let n = 0;
/** Writes `text` to a fresh temp file and reads it; returns the file too. */
function read(text: string, env: NodeJS.ProcessEnv = {}) {
  const file = tmp.write(`config-${n++}.yaml`, text);
  return { file, run: () => readConfig(file, env) };
}

/** The problems of an invalid file (asserting it is refused with a ConfigError naming the file). */
function problems(text: string, env: NodeJS.ProcessEnv = {}): readonly string[] {
  const { file, run } = read(text, env);
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_CONFIG_INVALID');
  assert.ok(caught.message.startsWith(`invalid configuration ${file}:\n  `), caught.message);
  for (const p of caught.problems) assert.ok(caught.message.includes(p), p);
  return caught.problems;
}

/** Replaces `from` (which must occur) by `to` literally (no `$` patterns, unlike String#replace). */
function edit(text: string, ...pairs: [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) {
    assert.ok(out.includes(from), `fixture lacks ${from}`);
    out = out.split(from).join(to);
  }
  return out;
}

const VALID = `gateway:
  listen: 127.0.0.1:9001
  providers:
    a:
      issuer: https://a.test
      secret: \${SECRET_KEY}
      algorithms: [HS256]
      audiences: [api]
  routes:
    - name: health
      match: { path: /healthz }
      public: true
      upstream: http://127.0.0.1:7001
`;

describe('readConfig: a valid file', () => {
  test('is returned as written, with ${ENV} interpolated and the schema defaults filled in', () => {
    const { config } = read(VALID, { SECRET_KEY }).run();
    const g = config.gateway;
    assert.equal(g.listen, '127.0.0.1:9001');
    assert.equal(g.providers.a?.secret, SECRET_KEY);
    assert.deepEqual(g.providers.a?.token_from, [{ bearer: true }]);
    assert.equal(g.providers.a?.leeway, 0);
    assert.equal(g.providers.a?.roles_claim, 'roles');
    assert.deepEqual(
      { ...g.routes[0], match: g.routes[0]?.match },
      {
        name: 'health',
        match: { path: '/healthz' },
        public: true,
        upstream: 'http://127.0.0.1:7001',
        forward_token: false,
        method_override: 'refuse',
        timeout: '30s',
        websocket: false,
      },
    );
    assert.equal(g.limits.max_connections, 20000);
    assert.equal(g.limits.headers_timeout, '30s');
    assert.deepEqual(g.token_cache, { max_entries: 10000, max_bytes: 33554432 });
    assert.equal(g.identity_header_prefix, 'x-jwtgate-');
  });

  test('every default the configuration uses is one the schema gives (none is written in code)', () => {
    const { config } = read(VALID, { SECRET_KEY }).run();
    // The defaulted keys of a route are exactly those of the schema with a default.
    const routeSchema = CONFIG_SCHEMA.properties.gateway.properties.routes.items.properties;
    const defaulted = Object.entries(routeSchema)
      .filter(([, s]) => 'default' in s)
      .map(([k]) => k)
      .sort();
    const written = ['name', 'match', 'public', 'upstream'];
    assert.deepEqual(
      Object.keys(config.gateway.routes[0] ?? {})
        .filter((k) => !written.includes(k))
        .sort(),
      defaulted,
    );
  });

  test('the example examples/gateway/jwtgate.yaml validates with SECRET_KEY set', () => {
    const { config } = readConfig(EXAMPLE_CONFIG, { SECRET_KEY });
    assert.equal(config.gateway.providers.tutorial?.secret, SECRET_KEY);
    assert.deepEqual(
      config.gateway.routes.map((r) => r.name),
      ['health', 'billing', 'tutorial'],
    );
    assert.deepEqual(config.gateway.providers.tutorial?.token_from, [{ header: 'Token' }, { bearer: true }]);
  });

  test('the example without SECRET_KEY is refused naming the variable and where it is used', () => {
    assert.throws(
      () => readConfig(EXAMPLE_CONFIG, {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems, [
          'gateway.providers.tutorial.secret (line 13): environment variable SECRET_KEY is not set',
        ]);
        assert.ok(err.message.includes(EXAMPLE_CONFIG));
        return true;
      },
    );
  });
});

describe('readConfig: files that cannot be read or parsed', () => {
  test('a missing file is refused with its error code', () => {
    const file = `${tmp.dir}/does-not-exist.yaml`;
    assert.throws(
      () => readConfig(file, {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems, ['cannot read the file (ENOENT)']);
        assert.ok(err.message.includes(file));
        return true;
      },
    );
  });

  test('a YAML syntax error is reported with its line', () => {
    const found = problems('gateway:\n  listen: 127.0.0.1:9001\n  providers: [a\n  routes: []\n');
    assert.equal(found.length >= 1, true);
    assert.match(found[0] ?? '', /^line \d+: /);
    assert.doesNotMatch(found[0] ?? '', /\n/);
  });

  test('a tab-indented line is reported with its line number', () => {
    const found = problems('gateway:\n  listen: 127.0.0.1:9001\n\tproviders: {}\n');
    assert.match(found[0] ?? '', /^line 3: /);
  });

  test('duplicate keys are refused, naming the line of the second', () => {
    const found = problems(
      'gateway:\n  listen: 127.0.0.1:9001\n  listen: 127.0.0.1:9002\n  providers: {}\n  routes: []\n',
    );
    assert.equal(found.length, 1);
    assert.match(found[0] ?? '', /^line 3: Map keys must be unique/);
  });

  test('duplicate keys deeper in the file are refused too', () => {
    const text = edit(VALID, [
      '      algorithms: [HS256]\n',
      '      algorithms: [HS256]\n      issuer: https://evil.test\n',
    ]);
    const found = problems(text, { SECRET_KEY });
    assert.match(found[0] ?? '', /^line 8: Map keys must be unique/);
  });

  test('an empty file is refused at the top level', () => {
    const found = problems('');
    assert.equal(found.length, 1);
    assert.match(found[0] ?? '', /^\(top level\): /);
  });
});

describe('readConfig: schema problems name the dotted path, the line and the expectation', () => {
  test('an unknown key at the top of the gateway', () => {
    const text = edit(VALID, ['  listen: 127.0.0.1:9001\n', '  listen: 127.0.0.1:9001\n  listne: 1\n']);
    assert.deepEqual(problems(text, { SECRET_KEY }), [
      'gateway.listne (line 3): unknown key "listne" (did you mean "listen"?)',
    ]);
  });

  test('an unknown key in a provider names the provider and the line of the key', () => {
    const text = edit(VALID, ['      audiences: [api]\n', '      audiences: [api]\n      audience: api\n']);
    assert.deepEqual(problems(text, { SECRET_KEY }), [
      'gateway.providers.a.audience (line 9): unknown key "audience" (did you mean "audiences"?)',
    ]);
  });

  test('two unknown keys in one object are both reported', () => {
    const text = edit(VALID, [
      '      public: true\n',
      '      public: true\n      colour: red\n      size: 3\n',
    ]);
    assert.deepEqual(problems(text, { SECRET_KEY }), [
      'gateway.routes[0].colour (line 13): unknown key "colour"',
      'gateway.routes[0].size (line 14): unknown key "size"',
    ]);
  });

  test('a missing required key names the object holding it', () => {
    const text = edit(VALID, ['    - name: health\n      match', '    - match']);
    assert.deepEqual(problems(text, { SECRET_KEY }), [
      'gateway.routes[0] (line 10): missing required key "name"',
    ]);
  });

  test('missing top-level keys', () => {
    assert.deepEqual(problems('other: 1\n'), [
      '(top level) (line 1): missing required key "gateway"',
      'other (line 1): unknown key "other"',
    ]);
    assert.deepEqual(problems('gateway:\n  listen: 127.0.0.1:9001\n'), [
      'gateway (line 2): missing required key "providers"',
      'gateway (line 2): missing required key "routes"',
    ]);
  });

  test('a wrong type names the value, its line and the expected type', () => {
    const text = edit(VALID, ['public: true', 'public: "yes"']);
    assert.deepEqual(problems(text, { SECRET_KEY }), [
      // "yes" is not `true`: the route is not public, so it needs requires.
      'gateway.routes[0] (line 10): requires is missing (routes are protected unless public: true)',
      'gateway.routes[0].public (line 12): must be boolean',
    ]);
  });

  test('an integer given as text', () => {
    const text = edit(VALID, ['  routes:', '  max_body_bytes: lots\n  routes:']);
    assert.deepEqual(problems(text, { SECRET_KEY }), ['gateway.max_body_bytes (line 9): must be integer']);
  });

  test('redis.jwks_cache is a boolean', () => {
    const redis = (value: string) =>
      edit(VALID, ['  routes:', `  redis: { url: redis://127.0.0.1:6379, jwks_cache: ${value} }\n  routes:`]);
    assert.deepEqual(problems(redis('"yes"'), { SECRET_KEY }), [
      'gateway.redis.jwks_cache (line 9): must be boolean',
    ]);
    assert.equal(read(redis('true'), { SECRET_KEY }).run().config.gateway.redis?.jwks_cache, true);
  });

  test('an enum names the allowed values', () => {
    const text = edit(VALID, [
      '      audiences: [api]\n',
      '      audiences: [api]\n      audience_mode: some\n',
    ]);
    assert.deepEqual(problems(text, { SECRET_KEY }), [
      'gateway.providers.a.audience_mode (line 9): expected one of any, all',
    ]);
  });

  test('an unknown algorithm (none) is refused by the enum', () => {
    const text = edit(VALID, ['algorithms: [HS256]', 'algorithms: [HS256, none]']);
    const found = problems(text, { SECRET_KEY });
    assert.equal(found.length, 1);
    assert.match(
      found[0] ?? '',
      /^gateway\.providers\.a\.algorithms\[1\] \(line 7\): expected one of HS256, /,
    );
  });

  test('a pattern mismatch (listen, methods, upstream scheme)', () => {
    const text = edit(
      VALID,
      ['listen: 127.0.0.1:9001', 'listen: localhost'],
      ['{ path: /healthz }', '{ path: /healthz, methods: [get] }'],
      ['upstream: http://127.0.0.1:7001', 'upstream: ftp://127.0.0.1:7001'],
    );
    const found = problems(text, { SECRET_KEY });
    assert.equal(found.length, 3, found.join('\n'));
    assert.match(found[0] ?? '', /^gateway\.listen \(line 2\): must match pattern/);
    assert.match(
      found[1] ?? '',
      /^gateway\.routes\[0\]\.match\.methods\[0\] \(line 11\): must match pattern "\^\[A-Z\]\+\$"/,
    );
    assert.match(found[2] ?? '', /^gateway\.routes\[0\]\.upstream \(line 13\): /);
  });

  test('a oneOf value (duration) gives one problem for its path, not one per branch', () => {
    const text = edit(VALID, ['      public: true\n', '      public: true\n      timeout: 5 seconds\n']);
    const found = problems(text, { SECRET_KEY });
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(
      found[0] ?? '',
      /^gateway\.routes\[0\]\.timeout \(line 13\): expected a duration: .*250ms, 5s/,
    );
  });

  test('a token source with two kinds at once is refused once, at its path', () => {
    const text = edit(VALID, [
      '      audiences: [api]\n',
      '      audiences: [api]\n      token_from: [{ bearer: true, header: Token }]\n',
    ]);
    const found = problems(text, { SECRET_KEY });
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0] ?? '', /^gateway\.providers\.a\.token_from\[0\] \(line 9\): /);
  });

  test('every problem of the file is reported at once', () => {
    const text = `gateway:
  listen: nowhere
  extra: true
  providers:
    a:
      issuer: https://a.test
      algorithms: []
      audiences: [api]
  routes:
    - name: bad name
      match: { path: relative }
      upstream: http://127.0.0.1:7001
      websocket: maybe
`;
    const found = problems(text);
    assert.deepEqual(
      found.map((p) => p.split(': ')[0]).sort(),
      [
        'gateway.extra (line 3)',
        'gateway.listen (line 2)',
        'gateway.providers.a.algorithms (line 7)',
        'gateway.routes[0].name (line 10)',
        'gateway.routes[0].match.path (line 11)',
        'gateway.routes[0].websocket (line 13)',
        'gateway.routes[0] (line 10)',
      ].sort(),
    );
    assert.equal(found.length, 7, found.join('\n'));
  });
});

describe('readConfig: ${ENV} interpolation', () => {
  test('variables are replaced anywhere in a string value, also in lists', () => {
    const text = edit(
      VALID,
      ['issuer: https://a.test', 'issuer: https://${HOST}:${PORT}/realms/x'],
      ['audiences: [api]', 'audiences: [api, "${AUD}"]'],
    );
    const { config } = read(text, { SECRET_KEY, HOST: 'id.example', PORT: '8443', AUD: 'api://two' }).run();
    const a = config.gateway.providers.a;
    assert.equal(a?.issuer, 'https://id.example:8443/realms/x');
    assert.deepEqual(a?.audiences, ['api', 'api://two']);
  });

  test('interpolated values are validated like written ones', () => {
    const text = edit(VALID, ['listen: 127.0.0.1:9001', 'listen: ${LISTEN}']);
    assert.deepEqual(
      read(text, { SECRET_KEY, LISTEN: '0.0.0.0:8080' }).run().config.gateway.listen,
      '0.0.0.0:8080',
    );
    const found = problems(text, { SECRET_KEY, LISTEN: 'not a listen address' });
    assert.equal(found.length, 1);
    assert.match(found[0] ?? '', /^gateway\.listen \(line 2\): must match pattern/);
  });

  test('a missing variable is an error naming the variable and the dotted path', () => {
    assert.deepEqual(problems(VALID, {}), [
      'gateway.providers.a.secret (line 6): environment variable SECRET_KEY is not set',
    ]);
  });

  test('every missing variable is reported, with list indexes in the path', () => {
    const text = edit(VALID, ['audiences: [api]', 'audiences: [api, "${AUD_ONE}", "${AUD_TWO}"]']);
    assert.deepEqual(problems(text, {}), [
      'gateway.providers.a.secret (line 6): environment variable SECRET_KEY is not set',
      'gateway.providers.a.audiences[1] (line 8): environment variable AUD_ONE is not set',
      'gateway.providers.a.audiences[2] (line 8): environment variable AUD_TWO is not set',
    ]);
  });

  test('a variable set to the empty string is used as empty (not reported as missing)', () => {
    const { config } = read(VALID, { SECRET_KEY: '' }).run();
    assert.equal(config.gateway.providers.a?.secret, '');
  });

  test('$${ writes a literal ${ and looks nothing up', () => {
    const text = edit(VALID, ['audiences: [api]', 'audiences: ["$${NOT_A_VAR}", "x-$${HOME}-${SUFFIX}"]']);
    const { config } = read(text, { SECRET_KEY, HOME: '/root', SUFFIX: 'end' }).run();
    assert.deepEqual(config.gateway.providers.a?.audiences, ['${NOT_A_VAR}', 'x-${HOME}-end']);
  });

  test('the environment defaults to process.env', () => {
    const { file } = read(VALID);
    const before = process.env.SECRET_KEY;
    process.env.SECRET_KEY = 'from-process-env-0123456789abcdef0123456789';
    try {
      assert.equal(
        readConfig(file).config.gateway.providers.a?.secret,
        'from-process-env-0123456789abcdef0123456789',
      );
    } finally {
      if (before === undefined) delete process.env.SECRET_KEY;
      else process.env.SECRET_KEY = before;
    }
  });

  test('text that only looks like a variable is kept', () => {
    const text = edit(VALID, ['audiences: [api]', 'audiences: ["$HOME", "${lower-case}", "{X}"]']);
    const { config } = read(text, { SECRET_KEY, HOME: '/root' }).run();
    assert.deepEqual(config.gateway.providers.a?.audiences, ['$HOME', '${lower-case}', '{X}']);
  });
});
