import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isMethodOverrideName,
  queryOverridesMethod,
} from '../../../src/gateway/pipeline/check-method-override.ts';

describe('isMethodOverrideName', () => {
  test('_method as Rails, Laravel, Symfony and PHP read it', () => {
    for (const name of ['_method', '_METHOD', '.method', '  _method', ' .method', '_method[x]', '_method[]'])
      assert.equal(isMethodOverrideName(name), true, JSON.stringify(name));
  });

  test('other names are not', () => {
    for (const name of ['method', '_methods', 'x_method', '_method_', '_metho', '', '_method.x'])
      assert.equal(isMethodOverrideName(name), false, JSON.stringify(name));
  });
});

describe('queryOverridesMethod', () => {
  test('finds _method in a query, percent-encoded too', () => {
    for (const q of [
      '?_method=DELETE',
      '?a=1&_method=PUT',
      '?%5Fmethod=DELETE',
      '?%5fMETHOD=x',
      '?.method=1',
      '?_method',
    ])
      assert.equal(queryOverridesMethod(q), true, q);
  });

  test('a query without it, even one naming a method in a value, passes', () => {
    for (const q of ['?a=1', '?method=DELETE', '?q=_method', '?x=%5Fmethod', '?'])
      assert.equal(queryOverridesMethod(q), false, q);
  });
});
