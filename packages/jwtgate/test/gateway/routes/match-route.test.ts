import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileHostPattern, requestHost } from '../../../src/gateway/routes/host-pattern.ts';
import {
  compileMatcher,
  compilePathPattern,
  findAmbiguities,
  type Matchable,
  matchingRoutes,
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
    assert.equal(routeName(match('GET', '', '/healthz')), 'health');
    assert.equal(routeName(match('DELETE', '', '/healthz')), 'health');
    assert.equal(match('GET', '', '/healthz').route, routes[0]);
  });

  test('an exact path does not match a longer or shorter one', () => {
    assert.deepEqual(match('GET', '', '/healthz/'), { route: null, allowed: null });
    assert.deepEqual(match('GET', '', '/healthz/x'), { route: null, allowed: null });
  });

  test('* matches one segment', () => {
    assert.equal(routeName(match('GET', '', '/users/7')), 'user');
    assert.equal(routeName(match('PUT', '', '/users/7/orders')), 'orders');
    assert.deepEqual(match('GET', '', '/users'), { route: null, allowed: null });
  });

  test('/** matches the prefix itself and below, not /billingx', () => {
    assert.equal(routeName(match('GET', '', '/billing')), 'billing');
    assert.equal(routeName(match('POST', '', '/billing/invoices/7')), 'billing');
    assert.deepEqual(match('GET', '', '/billingx'), { route: null, allowed: null });
  });

  test('the root / matches only /', () => {
    assert.equal(routeName(match('GET', '', '/')), 'root');
    assert.deepEqual(match('GET', '', '/nothing-here'), { route: null, allowed: null });
  });

  test('a path that matches with the wrong method gives the allowed methods (405)', () => {
    assert.deepEqual(match('DELETE', '', '/billing/x'), { route: null, allowed: ['GET', 'POST'] });
    assert.deepEqual(match('POST', '', '/users/7'), { route: null, allowed: ['GET'] });
  });

  test('methods are compared exactly (upper case)', () => {
    assert.deepEqual(match('get', '', '/users/7'), { route: null, allowed: ['GET'] });
  });

  test('routes sharing a path with disjoint methods are picked by method; 405 lists all of them', () => {
    const m = compileMatcher([
      r('read', '/items', ['GET', 'HEAD']),
      r('write', '/items', ['POST']),
      r('sub-delete', '/items/**', ['DELETE']),
    ]);
    assert.equal(routeName(m('GET', '', '/items')), 'read');
    assert.equal(routeName(m('POST', '', '/items')), 'write');
    assert.equal(routeName(m('DELETE', '', '/items')), 'sub-delete');
    const refused = m('PATCH', '', '/items');
    assert.equal(refused.route, null);
    assert.deepEqual([...((refused as { allowed: string[] }).allowed ?? [])].sort(), [
      'DELETE',
      'GET',
      'HEAD',
      'POST',
    ]);
    assert.deepEqual(m('PATCH', '', '/items/1'), { route: null, allowed: ['DELETE'] });
  });

  test('no routes: nothing matches', () => {
    assert.deepEqual(compileMatcher([])('GET', '', '/'), { route: null, allowed: null });
  });
});

describe('findAmbiguities', () => {
  const h = (name: string, host: string | undefined, path: string, extra: Partial<Matchable> = {}) => ({
    ...r(name, path),
    host: compileHostPattern(host),
    ...extra,
  });

  test('routes that cannot both match give no problem', () => {
    assert.deepEqual(
      findAmbiguities([r('a', '/a'), r('b', '/b/**'), r('c', '/c/*'), r('root', '/'), r('c2', '/c')]),
      [],
    );
  });

  test('a more specific route is no ambiguity: /api/** and /api/admin/**, /users/* and /users/me, /a/b and /a/b/**', () => {
    assert.deepEqual(findAmbiguities([r('api', '/api/**'), r('admin', '/api/admin/**')]), []);
    assert.deepEqual(findAmbiguities([r('any', '/users/*'), r('me', '/users/me')]), []);
    assert.deepEqual(findAmbiguities([r('exact', '/a/b'), r('below', '/a/b/**')]), []);
    assert.deepEqual(findAmbiguities([r('one', '/a/*'), r('rest', '/a/**')]), []);
  });

  test('the same path twice is ambiguous, naming both routes and a request both match', () => {
    const found = findAmbiguities([r('one', '/a'), r('two', '/a')]);
    assert.equal(found.length, 1);
    assert.deepEqual(
      found[0]?.routes.map((x) => x.name),
      ['one', 'two'],
    );
    assert.equal(found[0]?.example, 'GET <any host>/a');
    assert.match(
      found[0]?.message ?? '',
      /^routes "one" \(\/a\) and "two" \(\/a\) are equally specific for GET <any host>\/a/,
    );
  });

  test('equally specific patterns that meet are ambiguous: /a/*/c and /a/*/*? no; /x/*/** and /x/*/**', () => {
    assert.deepEqual(findAmbiguities([r('p', '/a/*/c'), r('q', '/a/*/*')]), []);
    const found = findAmbiguities([r('p', '/x/*/**'), r('q', '/x/*/**', ['GET'])]);
    assert.equal(found[0]?.example, 'GET <any host>/x/x');
  });

  test('a priority orders what specificity does not', () => {
    assert.deepEqual(findAmbiguities([r('one', '/a'), { ...r('two', '/a'), priority: 1 }]), []);
  });

  test('disjoint methods are no ambiguity; a shared one is', () => {
    assert.deepEqual(findAmbiguities([r('x', '/a/**', ['GET']), r('y', '/a/**', ['POST'])]), []);
    assert.equal(
      findAmbiguities([r('x', '/a', ['GET', 'POST']), r('y', '/a', ['POST'])])[0]?.example,
      'POST <any host>/a',
    );
    assert.equal(
      findAmbiguities([r('x', '/a'), r('y', '/a', ['DELETE'])])[0]?.example,
      'DELETE <any host>/a',
    );
  });

  test('hosts: different exact hosts never meet; an exact host is more specific than a wildcard or any', () => {
    assert.deepEqual(findAmbiguities([h('a', 'a.example.com', '/x'), h('b', 'b.example.com', '/x')]), []);
    assert.deepEqual(findAmbiguities([h('a', 'a.example.com', '/x'), h('w', '*.example.com', '/x')]), []);
    assert.deepEqual(findAmbiguities([h('w', '*.example.com', '/x'), h('any', undefined, '/x')]), []);
    const found = findAmbiguities([h('w1', '*.example.com', '/x'), h('w2', '*.EXAMPLE.com', '/x')]);
    assert.equal(found[0]?.example, 'GET x.example.com/x');
  });

  test('every ambiguous pair is reported', () => {
    const found = findAmbiguities([r('p', '/a/**'), r('q', '/a/**'), r('s', '/a/**')]);
    assert.deepEqual(
      found.map((f) => f.routes.map((x) => x.name).join('+')),
      ['p+q', 'p+s', 'q+s'],
    );
  });
});

describe('compileMatcher: precedence by specificity', () => {
  const h = (name: string, host: string | undefined, path: string, extra: Partial<Matchable> = {}) => ({
    ...r(name, path),
    host: compileHostPattern(host),
    ...extra,
  });

  test('/api/** for any user and /api/admin/** for admins: the admin route wins below /api/admin', () => {
    const m = compileMatcher([r('api', '/api/**'), r('admin', '/api/admin/**')]);
    assert.equal(routeName(m('GET', '', '/api/admin')), 'admin');
    assert.equal(routeName(m('POST', '', '/api/admin/users/7')), 'admin');
    assert.equal(routeName(m('GET', '', '/api/adminx')), 'api');
    assert.equal(routeName(m('GET', '', '/api/users')), 'api');
  });

  test('the order of the routes in the file does not matter', () => {
    for (const routes of [
      [r('api', '/api/**'), r('one', '/api/*'), r('me', '/api/me')],
      [r('me', '/api/me'), r('one', '/api/*'), r('api', '/api/**')],
      [r('one', '/api/*'), r('me', '/api/me'), r('api', '/api/**')],
    ]) {
      const m = compileMatcher(routes);
      assert.equal(routeName(m('GET', '', '/api/me')), 'me');
      assert.equal(routeName(m('GET', '', '/api/you')), 'one');
      assert.equal(routeName(m('GET', '', '/api/you/x')), 'api');
      assert.equal(routeName(m('GET', '', '/api')), 'api');
    }
  });

  test('segment by segment: a literal before *, * before /**, an exact path before /**', () => {
    const m = compileMatcher([
      r('star-c', '/a/*/c'),
      r('b-rest', '/a/b/**'),
      r('exact', '/a/b'),
      r('one', '/a/*'),
    ]);
    assert.equal(routeName(m('GET', '', '/a/b/c')), 'b-rest');
    assert.equal(routeName(m('GET', '', '/a/z/c')), 'star-c');
    assert.equal(routeName(m('GET', '', '/a/b')), 'exact');
    assert.equal(routeName(m('GET', '', '/a/z')), 'one');
  });

  test('exact host before wildcard before any host; a wildcard with more labels first', () => {
    const m = compileMatcher([
      h('any', undefined, '/**'),
      h('wild', '*.example.com', '/**'),
      h('deeper', '*.eu.example.com', '/**'),
      h('exact', 'api.example.com', '/**'),
    ]);
    assert.equal(routeName(m('GET', 'api.example.com', '/x')), 'exact');
    assert.equal(routeName(m('GET', 'www.example.com', '/x')), 'wild');
    assert.equal(routeName(m('GET', 'a.b.example.com', '/x')), 'wild');
    assert.equal(routeName(m('GET', 'x.eu.example.com', '/x')), 'deeper');
    assert.equal(routeName(m('GET', 'example.com', '/x')), 'any');
    assert.equal(routeName(m('GET', '', '/x')), 'any');
  });

  test('the host comes before the path: an exact host with /** beats any host with the exact path', () => {
    const m = compileMatcher([h('tenant', 'a.example.com', '/**'), h('health', undefined, '/healthz')]);
    assert.equal(routeName(m('GET', 'a.example.com', '/healthz')), 'tenant');
    assert.equal(routeName(m('GET', 'b.example.com', '/healthz')), 'health');
  });

  test('a route of a host that does not match the path leaves the request to less specific hosts', () => {
    const m = compileMatcher([h('api', 'api.example.com', '/v1/**'), h('site', undefined, '/**')]);
    assert.equal(routeName(m('GET', 'api.example.com', '/v1/x')), 'api');
    assert.equal(routeName(m('GET', 'api.example.com', '/other')), 'site');
  });

  test('priority decides between routes equally specific', () => {
    const m = compileMatcher([r('low', '/a/**'), { ...r('high', '/a/**'), priority: 5 }]);
    assert.equal(routeName(m('GET', '', '/a/x')), 'high');
    // Specificity comes first: priority does not lift a less specific route.
    const n = compileMatcher([{ ...r('broad', '/a/**'), priority: 100 }, r('narrow', '/a/b')]);
    assert.equal(routeName(n('GET', '', '/a/b')), 'narrow');
  });

  test('methods are part of the match: the most specific route taking the method wins, 405 when none does', () => {
    const m = compileMatcher([r('read', '/a/**', ['GET']), r('write', '/a/b', ['POST'])]);
    assert.equal(routeName(m('POST', '', '/a/b')), 'write');
    assert.equal(routeName(m('GET', '', '/a/b')), 'read');
    assert.deepEqual(m('DELETE', '', '/a/b'), { route: null, allowed: ['POST', 'GET'] });
  });

  test('matchingRoutes lists every route for a host and path, most specific first', () => {
    const routes = [r('api', '/api/**'), r('admin', '/api/admin/**'), r('other', '/x')];
    assert.deepEqual(
      matchingRoutes(routes, '', '/api/admin/x').map((x) => x.name),
      ['admin', 'api'],
    );
  });
});

describe('host patterns and the request host', () => {
  test('a host pattern is lower-cased; a wildcard is *. and a name; anything else is refused', () => {
    assert.equal(compileHostPattern('API.Example.com').name, 'api.example.com');
    assert.equal(compileHostPattern('*.example.com').kind, 'wildcard');
    for (const bad of ['*example.com', 'a.*.com', 'exa mple.com', 'a..b', '*.', 'host:8080', '-a.com']) {
      assert.throws(() => compileHostPattern(bad), Error, bad);
    }
  });

  test('the request host: lower case, port and a final dot removed; IP literals kept', () => {
    assert.equal(requestHost('API.example.com:8443'), 'api.example.com');
    assert.equal(requestHost('api.example.com.'), 'api.example.com');
    assert.equal(requestHost('127.0.0.1:9001'), '127.0.0.1');
    assert.equal(requestHost('[::1]:9001'), '[::1]');
    assert.equal(requestHost(undefined), '');
  });

  test('a host that is not a name or an address is refused', () => {
    for (const bad of [
      'a b',
      'a/b',
      'a@b',
      'a:b',
      'a:',
      '[::1',
      '[::1]x',
      'a..b',
      'x'.repeat(254),
      'é.com',
      'a%2eb',
    ]) {
      assert.equal(requestHost(bad), null, bad);
    }
  });

  test('the same host again, or good and bad hosts in turn, give each its own answer (the last one is kept)', () => {
    const cases: [string, string | null][] = [
      ['API.example.com:8443', 'api.example.com'],
      ['API.example.com:8443', 'api.example.com'],
      ['a b', null],
      ['a b', null],
      ['api.example.com', 'api.example.com'],
      ['[::1]:9001', '[::1]'],
      ['a:b', null],
      ['API.example.com:8443', 'api.example.com'],
    ];
    for (const [value, host] of cases) assert.equal(requestHost(value), host, value);
  });
});

describe('TRACE', () => {
  test('a route without methods does not take TRACE (405 with the usual methods); one listing it does', () => {
    const match = compileMatcher([r('any', '/any/**'), r('trace', '/t/**', ['TRACE'])]);
    const refused = match('TRACE', '', '/any/x');
    assert.equal(refused.route, null);
    assert.ok(
      refused.route === null && refused.allowed?.includes('GET') && !refused.allowed.includes('TRACE'),
    );
    assert.equal(routeName(match('TRACE', '', '/t/x')), 'trace');
    assert.equal(routeName(match('GET', '', '/any/x')), 'any');
  });

  test('a TRACE-only route is no ambiguity with a route without methods on the same paths', () => {
    assert.deepEqual(findAmbiguities([r('any', '/a/**'), r('trace', '/a/**', ['TRACE'])]), []);
    assert.equal(findAmbiguities([r('any', '/a/**'), r('t', '/a/**', ['TRACE', 'GET'])]).length, 1);
  });
});
