import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toMs } from '../../../src/gateway/config/duration.ts';
import { CONFIG_SCHEMA } from '../../../src/gateway/config/schema.ts';

describe('toMs', () => {
  test('undefined gives the fallback', () => {
    assert.equal(toMs(undefined, 30_000), 30_000);
    assert.equal(toMs(undefined, 0), 0);
  });

  test('a number is milliseconds as given', () => {
    assert.equal(toMs(0, 99), 0);
    assert.equal(toMs(250, 99), 250);
    assert.equal(toMs(86_400_000, 99), 86_400_000);
  });

  test('each unit converts to milliseconds', () => {
    assert.equal(toMs('250ms', 0), 250);
    assert.equal(toMs('5s', 0), 5_000);
    assert.equal(toMs('2m', 0), 120_000);
    assert.equal(toMs('1h', 0), 3_600_000);
    assert.equal(toMs('0s', 7), 0);
    assert.equal(toMs('90s', 0), 90_000);
  });

  test('a zero string is zero, not the fallback', () => {
    assert.equal(toMs('0ms', 5_000), 0);
  });

  for (const bad of ['5', '5 s', ' 5s', '5s ', '1d', '-1s', '1.5s', 's', '5S', '5sec', '']) {
    test(`"${bad}" is refused`, () => {
      assert.throws(() => toMs(bad, 0), { message: `invalid duration ${bad}` });
    });
  }

  test('every string the schema accepts as a duration converts, and the schema refuses what toMs refuses', () => {
    const timeout = CONFIG_SCHEMA.properties.gateway.properties.routes.items.properties.timeout;
    const pattern = new RegExp(timeout.oneOf[1].pattern);
    for (const text of ['0ms', '1s', '15m', '24h', '007s', '123456ms']) {
      assert.match(text, pattern);
      assert.ok(Number.isInteger(toMs(text, -1)) && toMs(text, -1) >= 0, text);
    }
    for (const text of ['1d', '1.5s', '5 s', '-1s']) {
      assert.doesNotMatch(text, pattern);
      assert.throws(() => toMs(text, 0));
    }
  });
});
