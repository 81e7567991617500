import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  type BearerError,
  ERROR_CODES,
  type ErrorCode,
  fail,
  JwtGateError,
  toJwtGateError,
} from '../src/errors.ts';
import * as publicApi from '../src/index.ts';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

// Written out independently of src: a changed status, or a new code, must be a conscious change here.
const EXPECTED: Record<ErrorCode, readonly [number, BearerError | null]> = {
  ERR_TOKEN_MISSING: [401, null],
  ERR_INVALID_REQUEST: [400, 'invalid_request'],
  ERR_TOKEN_TOO_LARGE: [401, 'invalid_token'],
  ERR_TOKEN_MALFORMED: [401, 'invalid_token'],
  ERR_HEADER_UNSUPPORTED: [401, 'invalid_token'],
  ERR_ALG_NOT_ALLOWED: [401, 'invalid_token'],
  ERR_KEY_NOT_FOUND: [401, 'invalid_token'],
  ERR_KEY_SOURCE_UNAVAILABLE: [503, null],
  ERR_SIGNATURE_INVALID: [401, 'invalid_token'],
  ERR_ISSUER_MISMATCH: [401, 'invalid_token'],
  ERR_AUDIENCE_MISMATCH: [401, 'invalid_token'],
  ERR_TOKEN_EXPIRED: [401, 'invalid_token'],
  ERR_TOKEN_NOT_YET_VALID: [401, 'invalid_token'],
  ERR_TOKEN_ISSUED_IN_FUTURE: [401, 'invalid_token'],
  ERR_TOKEN_TOO_OLD: [401, 'invalid_token'],
  ERR_TOKEN_TYPE_MISMATCH: [401, 'invalid_token'],
  ERR_CLAIM_MISSING: [401, 'invalid_token'],
  ERR_CLAIM_INVALID: [401, 'invalid_token'],
  ERR_TOKEN_REVOKED: [401, 'invalid_token'],
  ERR_DELEGATION_REQUIRED: [401, 'invalid_token'],
  ERR_DELEGATION_TOO_DEEP: [401, 'invalid_token'],
  ERR_ACTOR_NOT_ALLOWED: [401, 'invalid_token'],
  ERR_INSUFFICIENT_ROLE: [403, 'insufficient_scope'],
  ERR_INSUFFICIENT_AUTHENTICATION: [401, 'insufficient_user_authentication'],
  ERR_DPOP_TOKEN_BOUND: [401, 'invalid_token'],
  ERR_DPOP_TOKEN_NOT_BOUND: [401, 'invalid_token'],
  ERR_DPOP_REQUIRED: [401, 'invalid_token'],
  ERR_DPOP_NOT_ACCEPTED: [401, 'invalid_token'],
  ERR_DPOP_PROOF_MISSING: [401, 'invalid_dpop_proof'],
  ERR_DPOP_PROOF_MALFORMED: [401, 'invalid_dpop_proof'],
  ERR_DPOP_PROOF_TYPE: [401, 'invalid_dpop_proof'],
  ERR_DPOP_ALG_NOT_ALLOWED: [401, 'invalid_dpop_proof'],
  ERR_DPOP_KEY_INVALID: [401, 'invalid_dpop_proof'],
  ERR_DPOP_SIGNATURE_INVALID: [401, 'invalid_dpop_proof'],
  ERR_DPOP_METHOD_MISMATCH: [401, 'invalid_dpop_proof'],
  ERR_DPOP_URL_MISMATCH: [401, 'invalid_dpop_proof'],
  ERR_DPOP_PROOF_STALE: [401, 'invalid_dpop_proof'],
  ERR_DPOP_PROOF_REPLAYED: [401, 'invalid_dpop_proof'],
  ERR_DPOP_ATH_MISMATCH: [401, 'invalid_dpop_proof'],
  ERR_DPOP_KEY_MISMATCH: [401, 'invalid_dpop_proof'],
  ERR_DPOP_NONCE_REQUIRED: [401, 'use_dpop_nonce'],
  ERR_DPOP_REPLAY_CACHE_UNAVAILABLE: [503, null],
  ERR_INSUFFICIENT_SCOPE: [403, 'insufficient_scope'],
  ERR_OPTIONS_INVALID: [500, null],
  ERR_INTERNAL: [500, null],
};

describe('ERROR_CODES', () => {
  test('the set of codes is exactly the expected one', () => {
    assert.deepEqual([...CODES].sort(), Object.keys(EXPECTED).sort());
  });

  test('every code maps to the expected HTTP status and RFC 6750 error', () => {
    for (const code of CODES) {
      const [status, bearer] = EXPECTED[code];
      assert.equal(ERROR_CODES[code].status, status, code);
      assert.equal(ERROR_CODES[code].bearer, bearer, code);
    }
  });

  test('status and bearer error agree with RFC 6750 3.1, RFC 9449 7.1 and RFC 9470 3 for every code', () => {
    for (const code of CODES) {
      const { status, bearer } = ERROR_CODES[code];
      if (status === 400) assert.equal(bearer, 'invalid_request', code);
      else if (status === 403) assert.equal(bearer, 'insufficient_scope', code);
      else if (code === 'ERR_INSUFFICIENT_AUTHENTICATION')
        assert.equal(bearer, 'insufficient_user_authentication');
      else if (code === 'ERR_DPOP_NONCE_REQUIRED') assert.equal(bearer, 'use_dpop_nonce');
      else if (bearer === 'invalid_dpop_proof') assert.match(code, /^ERR_DPOP_/);
      else if (status === 401)
        assert.equal(bearer, code === 'ERR_TOKEN_MISSING' ? null : 'invalid_token', code);
      else assert.ok(status >= 500 && bearer === null, code);
    }
  });

  test('every code has a distinct, non-empty client message without a trailing period', () => {
    const messages = CODES.map((code) => ERROR_CODES[code].message);
    for (const m of messages) assert.match(m, /^[A-Z][^\n]*[^.]$/);
    assert.equal(new Set(messages).size, messages.length);
  });

  test('the missing-token message is exactly the tutorial text', () => {
    assert.equal(ERROR_CODES.ERR_TOKEN_MISSING.message, 'No Authorization Token provided');
  });

  test('the public entry point exports the same table and class', () => {
    assert.equal(publicApi.ERROR_CODES, ERROR_CODES);
    assert.equal(publicApi.JwtGateError, JwtGateError);
  });
});

describe('JwtGateError', () => {
  test('every code builds an error with its status and message', () => {
    for (const code of CODES) {
      const err = new JwtGateError(code);
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'JwtGateError');
      assert.equal(err.code, code);
      assert.equal(err.status, EXPECTED[code][0]);
      assert.equal(err.message, ERROR_CODES[code].message);
      assert.equal(err.detail, undefined);
      assert.equal(err.cause, undefined);
    }
  });

  test('a detail is appended to the message and kept separately', () => {
    const err = new JwtGateError('ERR_CLAIM_MISSING', 'sub');
    assert.equal(err.message, 'A required claim is missing: sub');
    assert.equal(err.detail, 'sub');
  });

  test('an empty detail does not add a colon', () => {
    assert.equal(new JwtGateError('ERR_CLAIM_MISSING', '').message, 'A required claim is missing');
  });

  test('the cause is kept', () => {
    const cause = new Error('socket hang up');
    const err = new JwtGateError('ERR_KEY_SOURCE_UNAVAILABLE', 'jwks', { cause });
    assert.equal(err.cause, cause);
  });

  test('the stack names the class', () => {
    assert.match(String(new JwtGateError('ERR_INTERNAL').stack), /^JwtGateError: Internal error/);
  });
});

describe('fail and toJwtGateError', () => {
  test('fail builds the error, with a cause only when one is given', () => {
    const plain = fail('ERR_TOKEN_EXPIRED');
    assert.ok(plain instanceof JwtGateError);
    assert.equal(plain.code, 'ERR_TOKEN_EXPIRED');
    assert.ok(!Object.hasOwn(plain, 'cause'));
    const cause = new TypeError('x');
    const withCause = fail('ERR_INTERNAL', 'd', cause);
    assert.equal(withCause.cause, cause);
    assert.equal(withCause.detail, 'd');
  });

  test('toJwtGateError returns a JwtGateError unchanged', () => {
    const err = fail('ERR_SIGNATURE_INVALID');
    assert.equal(toJwtGateError(err), err);
  });

  test('toJwtGateError wraps anything else as ERR_INTERNAL keeping the original as cause', () => {
    for (const thrown of [
      new Error('boom'),
      'a string',
      42,
      null,
      undefined,
      { code: 'ERR_TOKEN_EXPIRED' },
    ]) {
      const err = toJwtGateError(thrown);
      assert.ok(err instanceof JwtGateError);
      assert.equal(err.code, 'ERR_INTERNAL');
      assert.equal(err.status, 500);
      assert.equal(err.message, 'Internal error');
      if (thrown !== undefined) assert.equal(err.cause, thrown);
    }
  });
});

describe('docs/errors.md documents every code', () => {
  // Only the verify section: it ends where the next `## ` section (the gateway's codes) begins.
  const doc =
    readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8').split(/^## /m)[0] ?? '';
  const rows = doc
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  const header = rows[0] ?? [];
  const codeRows = rows.filter((cells) => /^`?ERR_/.test(cells[0] ?? ''));
  const documented = new Map(codeRows.map((cells) => [(cells[0] ?? '').replaceAll('`', ''), cells]));

  test('the table has the columns code, HTTP status, RFC 6750 error, meaning', () => {
    assert.deepEqual(header, ['Code', 'HTTP status', 'RFC 6750 error', 'Meaning']);
  });

  test('every code in ERROR_CODES has a row', () => {
    const missing = CODES.filter((code) => !documented.has(code));
    assert.deepEqual(missing, [], `undocumented codes: ${missing.join(', ')}`);
  });

  test('the table documents no code that does not exist, and none twice', () => {
    const unknown = [...documented.keys()].filter((code) => !Object.hasOwn(ERROR_CODES, code));
    assert.deepEqual(unknown, [], `documented but not in ERROR_CODES: ${unknown.join(', ')}`);
    assert.equal(codeRows.length, documented.size, 'a code is documented twice');
    // Every row that looks like a code row names a code.
    for (const cells of codeRows) assert.match(cells[0] ?? '', /^`ERR_[A-Z_]+`$/);
  });

  test('each row states the status and RFC 6750 error of its code, and a meaning', () => {
    for (const code of CODES) {
      const cells = documented.get(code);
      assert.ok(cells, code);
      const [, status, bearer, meaning] = cells;
      assert.equal(status, String(ERROR_CODES[code].status), `${code} status`);
      const expectedBearer = ERROR_CODES[code].bearer;
      assert.equal(bearer, expectedBearer === null ? '(none)' : `\`${expectedBearer}\``, `${code} bearer`);
      assert.ok((meaning ?? '').length > 10, `${code} meaning`);
    }
  });
});
