import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePathPattern, patternsOverlap } from '../../../src/gateway/routes/path-pattern.ts';

function check(pattern: string, yes: readonly string[], no: readonly string[]) {
  const p = compilePathPattern(pattern);
  for (const path of yes) assert.equal(p.matches(path), true, `${pattern} should match ${path}`);
  for (const path of no) assert.equal(p.matches(path), false, `${pattern} should not match ${path}`);
}

describe('compilePathPattern', () => {
  test('a literal path has its segments, is literal and not a prefix', () => {
    const p = compilePathPattern('/api/users');
    assert.equal(p.source, '/api/users');
    assert.deepEqual(p.segments, ['api', 'users']);
    assert.equal(p.literal, true);
    assert.equal(p.prefix, false);
  });

  test('* makes a pattern non-literal; /** makes it a prefix and is not a segment', () => {
    const star = compilePathPattern('/users/*');
    assert.deepEqual(star.segments, ['users', '*']);
    assert.equal(star.literal, false);
    assert.equal(star.prefix, false);
    const below = compilePathPattern('/billing/**');
    assert.deepEqual(below.segments, ['billing']);
    assert.equal(below.literal, false);
    assert.equal(below.prefix, true);
  });

  test('the root / has no segments', () => {
    const root = compilePathPattern('/');
    assert.deepEqual(root.segments, []);
    assert.equal(root.literal, true);
    assert.equal(root.prefix, false);
  });

  test('an exact path matches only itself', () => {
    check('/healthz', ['/healthz'], ['/healthz/', '/healthz/x', '/health', '/healthzz', '/', '/HEALTHZ']);
    check('/a/b', ['/a/b'], ['/a', '/a/b/c', '/a/c', '/b/a']);
  });

  test('* matches exactly one non-empty segment', () => {
    check('/users/*', ['/users/7', '/users/alice'], ['/users', '/users/', '/users/7/x', '/user/7']);
    check('/users/*/orders', ['/users/7/orders'], ['/users/orders', '/users/7/orders/1', '/users//orders']);
    check('/*', ['/a', '/anything'], ['/', '/a/b']);
  });

  test('/** matches the prefix itself and everything below, but not a longer name', () => {
    check(
      '/billing/**',
      ['/billing', '/billing/', '/billing/invoices', '/billing/invoices/7'],
      ['/billingx', '/billingx/y', '/bill', '/', '/other/billing'],
    );
    check('/a/*/**', ['/a/x', '/a/x/y/z'], ['/a', '/a/']);
  });

  test('the root / matches only /', () => {
    check('/', ['/'], ['/a', '/a/b', '//']);
  });

  test('/** matches every path', () => {
    check('/**', ['/', '/a', '/a/b/c'], []);
  });

  for (const [source, reason] of [
    ['billing', /must start with \//],
    ['', /must start with \//],
    ['/a/**/b', /\*\* is only allowed as the last segment/],
    ['/**/**', /\*\* is only allowed as the last segment/],
    ['/a//b', /empty segment/],
    ['/a/', /empty segment/],
    ['/a*', /mixes \* with text/],
    ['/a/**x', /mixes \* with text/],
    ['/a/x*y', /mixes \* with text/],
  ] as const) {
    test(`"${source}" is refused (${reason.source})`, () => {
      assert.throws(() => compilePathPattern(source), { message: reason });
    });
  }
});

describe('patternsOverlap', () => {
  const overlap = (a: string, b: string) => {
    const x = compilePathPattern(a);
    const y = compilePathPattern(b);
    const result = patternsOverlap(x, y);
    assert.equal(patternsOverlap(y, x), result, `overlap of ${a} and ${b} must be symmetric`);
    return result;
  };

  test('the same literal overlaps itself', () => {
    assert.equal(overlap('/a/b', '/a/b'), true);
    assert.equal(overlap('/', '/'), true);
  });

  test('different literals do not overlap', () => {
    assert.equal(overlap('/a/b', '/a/c'), false);
    assert.equal(overlap('/a', '/a/b'), false);
    assert.equal(overlap('/', '/a'), false);
  });

  test('a prefix overlaps what lies below it and the prefix itself', () => {
    assert.equal(overlap('/a/**', '/a/b'), true);
    assert.equal(overlap('/a/**', '/a/b/c/d'), true);
    assert.equal(overlap('/a/**', '/a'), true);
    assert.equal(overlap('/a/**', '/a/b/**'), true);
    assert.equal(overlap('/**', '/'), true);
    assert.equal(overlap('/**', '/x/y'), true);
  });

  test('a prefix does not overlap a sibling or a longer name', () => {
    assert.equal(overlap('/a/**', '/b'), false);
    assert.equal(overlap('/a/**', '/ab/c'), false);
    assert.equal(overlap('/a/**', '/b/**'), false);
    assert.equal(overlap('/a/b/**', '/a'), false);
  });

  test('* overlaps any literal in its place', () => {
    assert.equal(overlap('/users/*', '/users/me'), true);
    assert.equal(overlap('/*/orders', '/users/orders'), true);
    assert.equal(overlap('/*/x', '/y/*'), true);
  });

  test('* does not overlap paths of another length, nor a literal that differs elsewhere', () => {
    assert.equal(overlap('/users/*', '/users'), false);
    assert.equal(overlap('/users/*', '/users/me/x'), false);
    assert.equal(overlap('/users/*', '/groups/me'), false);
    assert.equal(overlap('/*', '/'), false);
  });
});
