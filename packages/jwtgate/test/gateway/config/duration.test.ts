import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toMs } from '../../../src/gateway/config/duration.ts';
import { CONFIG_SCHEMA } from '../../../src/gateway/config/schema.ts';

describe('toMs', () => {
  test('a number is milliseconds as given', () => {
    assert.equal(toMs(0), 0);
    assert.equal(toMs(250), 250);
    assert.equal(toMs(86_400_000), 86_400_000);
  });

  test('each unit converts to milliseconds', () => {
    assert.equal(toMs('250ms'), 250);
    assert.equal(toMs('5s'), 5_000);
    assert.equal(toMs('2m'), 120_000);
    assert.equal(toMs('1h'), 3_600_000);
    assert.equal(toMs('0s'), 0);
    assert.equal(toMs('90s'), 90_000);
  });

  test('a zero string is zero', () => {
    assert.equal(toMs('0ms'), 0);
  });

  for (const bad of ['5', '5 s', ' 5s', '5s ', '1d', '-1s', '1.5s', 's', '5S', '5sec', '']) {
    test(`"${bad}" is refused`, () => {
      assert.throws(() => toMs(bad), { message: `invalid duration ${bad}` });
    });
  }

  test('every string the schema accepts as a duration converts, and the schema refuses what toMs refuses', () => {
    const timeout = CONFIG_SCHEMA.properties.gateway.properties.routes.items.properties.timeout;
    const pattern = new RegExp(timeout.oneOf[1].pattern);
    for (const text of ['0ms', '1s', '15m', '24h', '007s', '123456ms']) {
      assert.match(text, pattern);
      assert.ok(Number.isInteger(toMs(text)) && toMs(text) >= 0, text);
    }
    for (const text of ['1d', '1.5s', '5 s', '-1s']) {
      assert.doesNotMatch(text, pattern);
      assert.throws(() => toMs(text));
    }
  });
});
