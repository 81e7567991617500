import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/cli/usage-error.ts';
import { ConfigError, GatewayError } from '../../src/gateway/errors.ts';
import { IssuerError } from '../../src/issuer/errors.ts';
import { CodedError, EXIT } from '../../src/lib/coded-error.ts';
import { StoreUnavailableError } from '../../src/store/store-unavailable.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('CodedError', () => {
  test('every error jwtgate raises on purpose extends it, with its status and exit code', () => {
    const cases: [CodedError, string, number, number][] = [
      [new GatewayError('ERR_RATE_LIMITED'), 'ERR_RATE_LIMITED', 429, EXIT.failed],
      [
        new ConfigError('x.yaml', ['gateway.listen: expected host:port']),
        'ERR_CONFIG_INVALID',
        500,
        EXIT.config,
      ],
      [new IssuerError('ERR_ISSUER_CONFIG'), 'ERR_ISSUER_CONFIG', 500, EXIT.config],
      [new IssuerError('ERR_CLIENT_NOT_FOUND'), 'ERR_CLIENT_NOT_FOUND', 404, EXIT.failed],
      [new UsageError('give --store'), 'ERR_USAGE', 400, EXIT.usage],
      [new StoreUnavailableError(new Error('ECONNREFUSED')), 'ERR_STORE_UNAVAILABLE', 503, EXIT.failed],
    ];
    for (const [err, code, status, exitCode] of cases) {
      assert.ok(err instanceof CodedError, err.name);
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.equal(err.status, status, code);
      assert.equal(err.exitCode, exitCode, code);
      assert.equal(err.name, err.constructor.name);
    }
  });

  test('the cause is kept for logs, not put in the message', () => {
    const cause = new Error('connect ECONNREFUSED 10.0.0.7:5432');
    const err = new GatewayError('ERR_UPSTREAM_UNAVAILABLE', { cause });
    assert.equal(err.cause, cause);
    assert.doesNotMatch(err.message, /10\.0\.0\.7/);
  });
});

describe('docs/errors.md documents every code emitted anywhere', () => {
  const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const files = [
    ...sourceFiles(join(ROOT, 'packages/jwtgate/src')),
    ...sourceFiles(join(ROOT, 'packages/verify/src')),
  ];
  const codes = new Set<string>();
  for (const file of files) {
    // A code is a whole word: undici's UND_ERR_HEADERS_TIMEOUT is not one of ours, and a family
    // named in a comment (ERR_DPOP_*) is none.
    const code = /(?<![A-Za-z0-9_])ERR_[A-Z0-9_]*[A-Z0-9](?![A-Za-z0-9_*])/g;
    for (const m of readFileSync(file, 'utf8').matchAll(code)) codes.add(m[0]);
  }
  test('the scan finds the codes (it would catch a new one)', () => {
    assert.ok(codes.size > 40, `only ${codes.size} codes found`);
    assert.ok(codes.has('ERR_ROUTE_NOT_FOUND') && codes.has('ERR_TOKEN_EXPIRED') && codes.has('ERR_USAGE'));
  });
  for (const code of [...codes].sort()) {
    test(code, () => assert.ok(doc.includes(`\`${code}\``), `${code} is not in docs/errors.md`));
  }
});
