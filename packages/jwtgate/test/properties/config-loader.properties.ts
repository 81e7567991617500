// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files spell ${NAME} for the environment
// Properties of the config loader (gateway/config/read-config.ts, then compileGateway): any file,
// YAML or JSON, well-formed or not, near the schema or far from it, gives a compiled gateway or a
// ConfigError whose every problem names where it is (a path in the file, or a line), and nothing
// else: no TypeError from a value of the wrong type, no prototype member taken for a provider.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { SECRET } from '../../../verify/test/helpers/keys.ts';
import {
  defineProperty,
  expectOnly,
  type PropertySuite,
} from '../../../verify/test/properties/property-suite.ts';
import { compileGateway } from '../../src/gateway/config/compile-gateway.ts';
import { readConfig } from '../../src/gateway/config/read-config.ts';
import { ConfigError } from '../../src/gateway/errors.ts';
import { RevocationList } from '../../src/gateway/state/revocation-list.ts';

const NOW = 1_800_000_000_000;
const ENV = { SECRET_KEY: SECRET, EMPTY: '', PORT: '9001' };

/** Names a map in the file may use, Object.prototype's members among them. */
const name = fc.oneof(
  fc.constantFrom('a', 'corp', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', ''),
  fc.string({ maxLength: 6 }),
);
const duration = fc.oneof(
  fc.constantFrom('5s', '250ms', '2m', '1h', '0s', '-1s', '5x', '', '1e3s'),
  fc.integer({ min: -5, max: 100_000 }),
  fc.double(),
);
const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
/** A value of the right kind usually, of any kind sometimes. */
const or = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: junk });
const strings = (arb: fc.Arbitrary<string>) => fc.array(arb, { maxLength: 3 });

const tokenSource = fc.oneof(
  fc.constant({ bearer: true }),
  fc.record({ header: or(fc.constantFrom('X-Token', 'authorization', '__proto__', 'bad header')) }),
  fc.record({ cookie: or(fc.constantFrom('access_token', 'constructor', '')) }),
  fc.record({ query: or(fc.constantFrom('access_token', 'toString')) }),
);
const provider = fc.record(
  {
    issuer: or(fc.constantFrom('https://a.test', 'http://127.0.0.1:1', 'not a url', '${ISSUER}')),
    secret: or(fc.constantFrom('${SECRET_KEY}', 'short', '$${SECRET_KEY}', '${EMPTY}', '${UNSET_VAR}')),
    jwks_uri: or(fc.constantFrom('https://a.test/jwks.json', 'http://10.0.0.1/jwks', 'ftp://x')),
    keys: or(fc.record({ jwks_file: fc.constantFrom('missing-jwks.json', '') }, { requiredKeys: [] })),
    algorithms: or(strings(fc.constantFrom('HS256', 'RS256', 'ES256', 'none', 'hs256', 'EdDSA'))),
    audiences: or(strings(fc.constantFrom('api', '', 'https://api.test'))),
    audience_mode: or(fc.constantFrom('any', 'all', 'some')),
    token_types: or(strings(fc.constantFrom('at+jwt', 'JWT'))),
    token_from: or(fc.array(tokenSource, { maxLength: 3 })),
    leeway: or(duration),
    max_token_age: or(duration),
    roles_claim: or(fc.constantFrom('roles', 'realm_access.roles', '', 'a..b', '__proto__.x')),
    required_claims: or(strings(name)),
    jwks: or(
      fc.record({ timeout: duration, cooldown: duration, max_bytes: fc.integer() }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);
const requires = fc.record(
  {
    provider: or(name),
    any: or(strings(name)),
    all: or(strings(name)),
    roles_any: or(strings(name)),
    scopes_all: or(strings(name)),
  },
  { requiredKeys: [] },
);
const routeConfig = fc.record(
  {
    name: or(name),
    match: or(
      fc.record(
        {
          path: or(
            fc.constantFrom('/', '/**', '/a/**', '/a/*', '/a/**/b', 'no-slash', '/a//b', '/*x', '/a/%2e'),
          ),
          methods: or(strings(fc.constantFrom('GET', 'POST', 'get', 'TRACE', ''))),
        },
        { requiredKeys: [] },
      ),
    ),
    public: or(fc.boolean()),
    requires: or(requires),
    upstream: or(
      fc.oneof(
        fc.constantFrom(
          'http://127.0.0.1:7001',
          'https://u.test/base',
          'not a url',
          'http://[::1',
          'file:///etc',
        ),
        strings(fc.constantFrom('http://127.0.0.1:7001', 'http://127.0.0.1:7002', 'x')),
      ),
    ),
    strip_prefix: or(fc.constantFrom('/a', 'a', '')),
    identity_headers: or(
      fc.dictionary(name, fc.constantFrom('sub', 'roles', 'a.b', '', '__proto__'), { maxKeys: 3 }),
    ),
    timeout: or(duration),
    max_body_bytes: or(fc.integer({ min: -1, max: 1 << 30 })),
    rate_limit: or(
      fc.record(
        {
          per: fc.constantFrom('sub', 'client_id', 'ip'),
          requests_per_second: fc.double(),
          burst: fc.integer(),
        },
        { requiredKeys: [] },
      ),
    ),
    websocket: or(fc.boolean()),
    forward_token: or(fc.boolean()),
  },
  { requiredKeys: [] },
);
const gatewayConfig = fc.record(
  {
    gateway: or(
      fc.record(
        {
          listen: or(
            fc.constantFrom(
              '127.0.0.1:9001',
              '127.0.0.1:${PORT}',
              ':9001',
              '[::1]:0',
              'x:y',
              '1.2.3.4:99999',
            ),
          ),
          admin: or(fc.record({ listen: fc.constantFrom('127.0.0.1:9002', 'bad') }, { requiredKeys: [] })),
          identity_header_prefix: or(fc.constantFrom('x-jwtgate-', '', 'X-')),
          trust_forwarded: or(fc.boolean()),
          token_cache: or(
            fc.record({ max_entries: fc.integer(), max_bytes: fc.integer() }, { requiredKeys: [] }),
          ),
          revocation: or(fc.record({ feed: fc.constantFrom('http://127.0.0.1:8080', 'nope') })),
          providers: or(fc.dictionary(name, provider, { maxKeys: 3 })),
          routes: or(fc.array(routeConfig, { maxLength: 4 })),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

/** A file's text: the config as YAML or JSON, maybe cut short or with a line of noise, or any text. */
const fileText = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(gatewayConfig, fc.boolean())
      .map(([c, json]) => (json ? JSON.stringify(c) : stringify(c))),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        gatewayConfig,
        fc.nat(),
        fc.constantFrom(
          '\n',
          ': ',
          '- ',
          '{',
          '&a ',
          '!!js/function x',
          '!!binary',
          '\t',
          '"',
          '%YAML 1.1\n---\n',
        ),
      )
      .map(([c, at, noise]) => {
        const text = stringify(c);
        const i = at % (text.length + 1);
        return text.slice(0, i) + noise + text.slice(i);
      }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '---',
      'gateway:',
      '[]',
      '~',
      'a: &x [1]\nb: *x',
      'gateway: ${UNSET_VAR}',
      '[${UNSET_VAR}]',
    ),
  },
);

/** Where a problem is: `<path in the file> [(line N)]: what`, `line N: what` or `(top level): what`; never an empty path. */
const LOCATED = /^(?!: )[^\n]+?: \S/;

/** YAML aliases that resolve to nothing, or to the node holding them. */
const badAlias = fc
  .tuple(gatewayConfig, fc.nat(), fc.constantFrom('*a', '<<: *a', '&a [*a]', '&a {x: *a}'))
  .map(([c, at, alias]) => {
    const lines = stringify(c).split('\n');
    const i = at % lines.length;
    lines[i] = `${lines[i]} ${alias}`;
    return lines.join('\n');
  });

const openCtx = async () => ({ dir: mkdtempSync(join(tmpdir(), 'jwtgate-config-fuzz-')), n: 0 });

async function checkFile(text: string, ctx: { dir: string; n: number }): Promise<void> {
  const file = join(ctx.dir, `case-${ctx.n++ % 8}.yaml`);
  writeFileSync(file, text);
  const r = expectOnly(
    () =>
      compileGateway(readConfig(file, ENV), {
        revocations: new RevocationList(() => NOW),
        now: () => NOW,
        env: ENV,
      }),
    (err) => err instanceof ConfigError,
  );
  if ('value' in r) {
    await r.value.pools.close();
    return;
  }
  const err = r.error as ConfigError;
  assert.ok(err.problems.length > 0);
  assert.ok(err.message.includes(file), 'the message names the file');
  for (const problem of err.problems)
    assert.match(problem, LOCATED, `a problem without a location: ${JSON.stringify(problem)}`);
}

export const configLoaderSuite: PropertySuite<{ dir: string; n: number }> = {
  name: 'config loader',
  open: openCtx,
  async close({ dir }) {
    rmSync(dir, { recursive: true, force: true });
  },
  properties: [
    defineProperty({
      name: 'any file gives a compiled gateway or a ConfigError naming where each problem is',
      arbitrary: fileText,
      testRuns: 800,
      check: checkFile,
    }),
    defineProperty({
      name: 'YAML aliases that resolve to nothing or to their own node give a ConfigError',
      arbitrary: badAlias,
      testRuns: 200,
      check: checkFile,
    }),
    defineProperty({
      name: 'an unset ${VAR} anywhere, the top level included, is a problem with a location',
      arbitrary: fc.constantFrom('${UNSET_VAR}', '"${UNSET_VAR}"', '${SECRET_KEY}${UNSET_VAR}'),
      testRuns: 10,
      check: checkFile,
    }),
  ],
};
