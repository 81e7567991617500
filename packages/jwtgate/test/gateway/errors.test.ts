import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ERROR_CODES } from '@jwtgate/verify';
import {
  ConfigError,
  GATEWAY_ERROR_CODES,
  GatewayError,
  type GatewayErrorCode,
} from '../../src/gateway/errors.ts';

const CODES = Object.keys(GATEWAY_ERROR_CODES) as GatewayErrorCode[];

// Written out independently of src: a changed status, or a new code, must be a conscious change here.
const EXPECTED: Record<GatewayErrorCode, number> = {
  ERR_REQUEST_MALFORMED: 400,
  ERR_PATH_INVALID: 400,
  ERR_HOST_INVALID: 400,
  ERR_CLAIM_CONDITION: 403,
  ERR_METHOD_OVERRIDE: 400,
  ERR_FORM_MALFORMED: 400,
  ERR_DECISION_UNDESCRIBED: 400,
  ERR_DECISION_UNTRUSTED: 403,
  ERR_HEADERS_TIMEOUT: 408,
  ERR_BODY_TIMEOUT: 408,
  ERR_CLIENT_CERT_REQUIRED: 403,
  ERR_CLIENT_CERT_REFUSED: 403,
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_CORS_ORIGIN_NOT_ALLOWED: 403,
  ERR_CORS_METHOD_NOT_ALLOWED: 403,
  ERR_CORS_HEADER_NOT_ALLOWED: 403,
  ERR_BODY_TOO_LARGE: 413,
  ERR_RATE_LIMITED: 429,
  ERR_UPSTREAM_UNAVAILABLE: 502,
  ERR_UPSTREAM_BUSY: 503,
  ERR_UPSTREAM_TIMEOUT: 504,
  ERR_REDIS_UNAVAILABLE: 503,
  ERR_CONFIG_INVALID: 500,
  ERR_METRICS_UNAVAILABLE: 503,
};

/** Codes the gateway answers without a GatewayError (none now: every code is in the table). */
const EXTRA_DOCUMENTED: Record<string, number> = {};

describe('GATEWAY_ERROR_CODES', () => {
  test('the set of codes and their statuses are exactly the expected ones', () => {
    assert.deepEqual(Object.fromEntries(CODES.map((c) => [c, GATEWAY_ERROR_CODES[c].status])), EXPECTED);
  });

  test('no gateway code reuses a verify core code', () => {
    for (const code of [...CODES, ...Object.keys(EXTRA_DOCUMENTED)])
      assert.ok(!Object.hasOwn(ERROR_CODES, code), code);
  });

  test('every code has a distinct client message without a trailing period', () => {
    const messages = CODES.map((c) => GATEWAY_ERROR_CODES[c].message);
    for (const m of messages) assert.match(m, /^[A-Z][^\n]*[^.]$/);
    assert.equal(new Set(messages).size, messages.length);
  });
});

describe('GatewayError', () => {
  test('every code builds an error with its status, message and no headers', () => {
    for (const code of CODES) {
      const err = new GatewayError(code);
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'GatewayError');
      assert.equal(err.code, code);
      assert.equal(err.status, EXPECTED[code]);
      assert.equal(err.message, GATEWAY_ERROR_CODES[code].message);
      assert.deepEqual(err.headers, {});
      assert.equal(err.cause, undefined);
    }
  });

  test('headers, cause and detail are kept', () => {
    const cause = new Error('ECONNREFUSED');
    const err = new GatewayError('ERR_RATE_LIMITED', {
      headers: { 'retry-after': '3' },
      cause,
      detail: 'sub u1',
    });
    assert.deepEqual(err.headers, { 'retry-after': '3' });
    assert.equal(err.cause, cause);
    assert.equal(err.message, 'sub u1');
    assert.equal(err.status, 429);
  });
});

describe('ConfigError', () => {
  test('names the file and lists every problem, one a line', () => {
    const err = new ConfigError('/etc/jwtgate.yaml', [
      'gateway.listen (line 2): bad',
      'gateway (line 3): unknown key "x"',
    ]);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ConfigError');
    assert.equal(err.code, 'ERR_CONFIG_INVALID');
    assert.deepEqual(err.problems, ['gateway.listen (line 2): bad', 'gateway (line 3): unknown key "x"']);
    assert.equal(
      err.message,
      'invalid configuration /etc/jwtgate.yaml:\n  gateway.listen (line 2): bad\n  gateway (line 3): unknown key "x"',
    );
  });
});

describe('docs/errors.md documents every gateway code', () => {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  const start = doc.search(/^## Gateway codes$/m);
  const section = start === -1 ? '' : (doc.slice(start).split(/^## /m)[1] ?? '');
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  const codeRows = rows.filter((cells) => /^`?ERR_/.test(cells[0] ?? ''));
  const documented = new Map(codeRows.map((cells) => [(cells[0] ?? '').replaceAll('`', ''), cells]));
  const expected: Record<string, number> = { ...EXPECTED, ...EXTRA_DOCUMENTED };

  test('there is a "## Gateway codes" section with the columns code, HTTP status, meaning', () => {
    assert.notEqual(start, -1, 'no "## Gateway codes" section');
    assert.deepEqual(rows[0], ['Code', 'HTTP status', 'Meaning']);
  });

  test('every gateway code, and ERR_PATH_INVALID, has a row with its status and a meaning', () => {
    for (const [code, status] of Object.entries(expected)) {
      const cells = documented.get(code);
      assert.ok(cells, `${code} is not documented`);
      assert.equal(cells[1], String(status), `${code} status`);
      assert.ok((cells[2] ?? '').length > 20, `${code} meaning`);
    }
  });

  test('the section documents no other code, and none twice', () => {
    assert.deepEqual([...documented.keys()].sort(), Object.keys(expected).sort());
    assert.equal(codeRows.length, documented.size, 'a code is documented twice');
    for (const cells of codeRows) assert.match(cells[0] ?? '', /^`ERR_[A-Z_]+`$/);
  });

  test('ERR_PATH_INVALID is what the pipeline answers for unsafe paths, with status 400', () => {
    const source = readFileSync(new URL('../../src/gateway/pipeline/check-path.ts', import.meta.url), 'utf8');
    assert.match(source, /new GatewayError\('ERR_PATH_INVALID'\)/);
    assert.equal(GATEWAY_ERROR_CODES.ERR_PATH_INVALID.status, 400);
  });
});
