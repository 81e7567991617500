import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compileMatcher,
  compilePathPattern,
  findOverlaps,
  type Matchable,
} from '../../../src/gateway/routes/match-route.ts';

function r(name: string, path: string, methods?: string[]): Matchable {
  return { name, pattern: compilePathPattern(path), methods: methods ? new Set(methods) : null };
}

function routeName(result: ReturnType<ReturnType<typeof compileMatcher<Matchable>>>): string | null {
  return result.route?.name ?? null;
}

describe('compileMatcher', () => {
  const routes = [
    r('health', '/healthz'),
    r('root', '/'),
    r('user', '/users/*', ['GET']),
    r('billing', '/billing/**', ['GET', 'POST']),
    r('orders', '/users/*/orders'),
  ];
  const match = compileMatcher(routes);

  test('an exact path matches its route with any method when none are listed', () => {
    assert.equal(routeName(match('GET', '/healthz')), 'health');
    assert.equal(routeName(match('DELETE', '/healthz')), 'health');
    assert.equal(match('GET', '/healthz').route, routes[0]);
  });

  test('an exact path does not match a longer or shorter one', () => {
    assert.deepEqual(match('GET', '/healthz/'), { route: null, allowed: null });
    assert.deepEqual(match('GET', '/healthz/x'), { route: null, allowed: null });
  });

  test('* matches one segment', () => {
    assert.equal(routeName(match('GET', '/users/7')), 'user');
    assert.equal(routeName(match('PUT', '/users/7/orders')), 'orders');
    assert.deepEqual(match('GET', '/users'), { route: null, allowed: null });
  });

  test('/** matches the prefix itself and below, not /billingx', () => {
    assert.equal(routeName(match('GET', '/billing')), 'billing');
    assert.equal(routeName(match('POST', '/billing/invoices/7')), 'billing');
    assert.deepEqual(match('GET', '/billingx'), { route: null, allowed: null });
  });

  test('the root / matches only /', () => {
    assert.equal(routeName(match('GET', '/')), 'root');
    assert.deepEqual(match('GET', '/nothing-here'), { route: null, allowed: null });
  });

  test('a path that matches with the wrong method gives the allowed methods (405)', () => {
    assert.deepEqual(match('DELETE', '/billing/x'), { route: null, allowed: ['GET', 'POST'] });
    assert.deepEqual(match('POST', '/users/7'), { route: null, allowed: ['GET'] });
  });

  test('methods are compared exactly (upper case)', () => {
    assert.deepEqual(match('get', '/users/7'), { route: null, allowed: ['GET'] });
  });

  test('routes sharing a path with disjoint methods are picked by method; 405 lists all of them', () => {
    const m = compileMatcher([
      r('read', '/items', ['GET', 'HEAD']),
      r('write', '/items', ['POST']),
      r('sub-delete', '/items/**', ['DELETE']),
    ]);
    assert.equal(routeName(m('GET', '/items')), 'read');
    assert.equal(routeName(m('POST', '/items')), 'write');
    assert.equal(routeName(m('DELETE', '/items')), 'sub-delete');
    const refused = m('PATCH', '/items');
    assert.equal(refused.route, null);
    assert.deepEqual([...((refused as { allowed: string[] }).allowed ?? [])].sort(), [
      'DELETE',
      'GET',
      'HEAD',
      'POST',
    ]);
    assert.deepEqual(m('PATCH', '/items/1'), { route: null, allowed: ['DELETE'] });
  });

  test('no routes: nothing matches', () => {
    assert.deepEqual(compileMatcher([])('GET', '/'), { route: null, allowed: null });
  });
});

describe('findOverlaps', () => {
  test('routes that cannot both match give no problem', () => {
    assert.deepEqual(
      findOverlaps([r('a', '/a'), r('b', '/b/**'), r('c', '/c/*'), r('root', '/'), r('c2', '/c')]),
      [],
    );
  });

  test('the same literal twice is an overlap naming both routes and patterns', () => {
    assert.deepEqual(
      findOverlaps([r('one', '/a'), r('two', '/a')]).map((o) => o.message),
      ['routes "one" (/a) and "two" (/a) overlap'],
    );
  });

  test('/a/** and /a/b overlap', () => {
    assert.deepEqual(
      findOverlaps([r('all', '/a/**'), r('b', '/a/b')]).map((o) => o.message),
      ['routes "all" (/a/**) and "b" (/a/b) overlap'],
    );
  });

  test('* and a literal in its place overlap', () => {
    assert.equal(findOverlaps([r('any', '/users/*'), r('me', '/users/me')]).length, 1);
  });

  test('overlapping paths with a shared method overlap', () => {
    assert.equal(findOverlaps([r('x', '/a/**', ['GET', 'POST']), r('y', '/a/b', ['POST'])]).length, 1);
  });

  test('a route without methods overlaps one with methods', () => {
    assert.equal(findOverlaps([r('x', '/a'), r('y', '/a', ['GET'])]).length, 1);
  });

  test('overlapping paths with disjoint methods are fine', () => {
    assert.deepEqual(findOverlaps([r('x', '/a/**', ['GET']), r('y', '/a/b', ['POST', 'PUT'])]), []);
    assert.deepEqual(findOverlaps([r('x', '/users/*', ['GET']), r('y', '/users/me', ['DELETE'])]), []);
  });

  test('every overlapping pair is reported', () => {
    const problems = findOverlaps([r('p', '/**'), r('q', '/a'), r('s', '/b')]);
    assert.equal(problems.length, 2);
    assert.match(problems[0]?.message ?? '', /"p" \(\/\*\*\) and "q" \(\/a\)/);
    assert.match(problems[1]?.message ?? '', /"p" \(\/\*\*\) and "s" \(\/b\)/);
  });
});

describe('TRACE', () => {
  test('a route without methods does not take TRACE (405 with the usual methods); one listing it does', () => {
    const match = compileMatcher([r('any', '/any/**'), r('trace', '/t/**', ['TRACE'])]);
    const refused = match('TRACE', '/any/x');
    assert.equal(refused.route, null);
    assert.ok(
      refused.route === null && refused.allowed?.includes('GET') && !refused.allowed.includes('TRACE'),
    );
    assert.equal(routeName(match('TRACE', '/t/x')), 'trace');
    assert.equal(routeName(match('GET', '/any/x')), 'any');
  });

  test('a TRACE-only route does not overlap a route without methods on the same paths', () => {
    assert.deepEqual(findOverlaps([r('any', '/a/**'), r('trace', '/a/**', ['TRACE'])]), []);
    assert.equal(findOverlaps([r('any', '/a/**'), r('t', '/a/**', ['TRACE', 'GET'])]).length, 1);
  });
});
