import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, test } from 'node:test';
import { decodeUtf8 } from '../../src/lib/utf8.ts';
import { prng } from '../helpers/forge.ts';

/** The decoder must agree with node's validator (simdutf) and, when valid, with toString. */
function agrees(bytes: Buffer): boolean {
  const text = decodeUtf8(bytes);
  return isUtf8(bytes) ? text === bytes.toString('utf8') : text === undefined;
}

describe('decodeUtf8', () => {
  test('valid text decodes, including U+FFFD written as valid UTF-8', () => {
    for (const s of ['', '{"a":1}', 'Zoë 😀 日本', '\ufffd', 'a\ufffdb', '\u{10ffff}', '\u0000']) {
      assert.equal(decodeUtf8(Buffer.from(s, 'utf8')), s);
    }
  });

  test('invalid sequences are refused: overlong, surrogates, beyond U+10FFFF, truncated, stray bytes', () => {
    const bad = [
      [0x80],
      [0xbf],
      [0xc0, 0x80], // overlong NUL
      [0xc1, 0xbf],
      [0xe0, 0x80, 0x80], // overlong
      [0xed, 0xa0, 0x80], // U+D800
      [0xed, 0xbf, 0xbf], // U+DFFF
      [0xf0, 0x80, 0x80, 0x80], // overlong
      [0xf4, 0x90, 0x80, 0x80], // U+110000
      [0xf5, 0x80, 0x80, 0x80],
      [0xff],
      [0xfe],
      [0xe2, 0x82], // truncated €
      [0x41, 0xe2, 0x82],
      [0xf0, 0x9f, 0x98], // truncated 😀
      [0xc3], // truncated ë
      [0xc3, 0x41],
    ];
    for (const bytes of bad) assert.equal(decodeUtf8(Buffer.from(bytes)), undefined, String(bytes));
    // The same with valid U+FFFD next to them: the replacement character cannot hide them.
    for (const bytes of bad) {
      const mixed = Buffer.concat([Buffer.from('\ufffd'), Buffer.from(bytes)]);
      assert.equal(decodeUtf8(mixed), undefined, String(bytes));
    }
  });

  test('agrees with isUtf8 on every 1- and 2-byte input and every 3-byte one with a 3-byte lead', () => {
    for (let a = 0; a < 256; a++) {
      if (!agrees(Buffer.from([a]))) assert.fail(`${a}`);
      for (let b = 0; b < 256; b++) if (!agrees(Buffer.from([a, b]))) assert.fail(`${a} ${b}`);
    }
    const three = Buffer.alloc(3);
    for (let a = 0xe0; a <= 0xef; a++)
      for (let b = 0; b < 256; b++)
        for (let c = 0; c < 256; c++) {
          three[0] = a;
          three[1] = b;
          three[2] = c;
          if (!agrees(three)) assert.fail(`${a} ${b} ${c}`);
        }
  });

  test('agrees with isUtf8 on seeded random inputs biased to multi-byte sequences', () => {
    const random = prng(3);
    const pieces = [
      0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xef, 0xbf, 0xbd,
    ];
    for (let k = 0; k < 50_000; k++) {
      const length = 1 + Math.floor(random() * 9);
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) {
        bytes[i] =
          random() < 0.7
            ? (pieces[Math.floor(random() * pieces.length)] as number)
            : Math.floor(random() * 256);
      }
      if (!agrees(bytes)) assert.fail(`disagrees on ${bytes.toString('hex')}`);
    }
  });
});
