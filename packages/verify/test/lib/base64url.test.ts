import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeBase64url, isCanonicalBase64url } from '../../src/lib/base64url.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Independent oracle: canonical means re-encoding the decoded bytes gives the same text. */
function oracle(text: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return false;
  return Buffer.from(text, 'base64url').toString('base64url') === text;
}

describe('isCanonicalBase64url', () => {
  test('the empty string is canonical (it encodes zero bytes)', () => {
    assert.equal(isCanonicalBase64url(''), true);
    assert.deepEqual(decodeBase64url(''), Buffer.alloc(0));
  });

  test('whatever Buffer encodes is canonical and decodes back, for every length 0..96', () => {
    for (let n = 0; n <= 96; n++) {
      const bytes = randomBytes(n);
      const text = bytes.toString('base64url');
      assert.equal(isCanonicalBase64url(text), true, text);
      assert.deepEqual(decodeBase64url(text), bytes);
    }
  });

  test('agrees with the re-encoding oracle on every 2- and 3-character string of the alphabet', () => {
    let canonical2 = 0;
    for (const a of ALPHABET)
      for (const b of ALPHABET) {
        const s = a + b;
        const ok = isCanonicalBase64url(s);
        assert.equal(ok, oracle(s), s);
        assert.equal(decodeBase64url(s) !== undefined, ok, s);
        if (ok) canonical2++;
      }
    // 2 characters carry 1 byte: exactly 256 of the 4096 strings are canonical.
    assert.equal(canonical2, 256);
    let canonical3 = 0;
    for (const a of ALPHABET)
      for (const b of ALPHABET)
        for (const c of ALPHABET) {
          const s = a + b + c;
          const ok = isCanonicalBase64url(s);
          if (ok !== oracle(s)) assert.fail(`disagrees on ${s}`);
          if ((decodeBase64url(s) !== undefined) !== ok) assert.fail(`decodeBase64url disagrees on ${s}`);
          if (ok) canonical3++;
        }
    // 3 characters carry 2 bytes: 65536 canonical strings.
    assert.equal(canonical3, 65536);
  });

  test('a length that is 1 modulo 4 never encodes whole bytes', () => {
    for (const s of ['A', 'AAAAA', '_', '-', 'AAAAAAAAA']) {
      assert.equal(isCanonicalBase64url(s), false, s);
      assert.equal(decodeBase64url(s), undefined);
    }
  });

  test('non-zero trailing bits in the last character are refused, including for "-" and "_"', () => {
    // 'AQ' = 0x01; 'AR'..'AZ', 'Ab' ... decode to the same byte with spare bits set.
    assert.equal(isCanonicalBase64url('AQ'), true);
    assert.equal(isCanonicalBase64url('AR'), false);
    assert.equal(isCanonicalBase64url('Aw'), true); // 'w' = 48 = 0b110000
    assert.equal(isCanonicalBase64url('A-'), false); // 62 = 0b111110
    assert.equal(isCanonicalBase64url('A_'), false); // 63
    assert.equal(isCanonicalBase64url('AAE'), true); // 'E' = 4 = 0b000100
    assert.equal(isCanonicalBase64url('AAF'), false);
    assert.equal(isCanonicalBase64url('AA-'), false);
    assert.equal(isCanonicalBase64url('AA_'), false);
    assert.equal(isCanonicalBase64url('AA8'), true); // '8' = 60 = 0b111100
    assert.equal(isCanonicalBase64url('AA9'), false);
    // Node decodes both the same way: that is exactly what must not be accepted twice.
    assert.deepEqual(Buffer.from('AR', 'base64url'), Buffer.from('AQ', 'base64url'));
    assert.equal(decodeBase64url('AR'), undefined);
  });

  test('padding, the base64 alphabet, whitespace and other characters are refused', () => {
    const good = Buffer.from('hello world!?>').toString('base64url');
    assert.ok(isCanonicalBase64url(good));
    const bad = [
      'AQ==',
      'AQ=',
      'AAE=',
      `${good}=`,
      'ab+c',
      'ab/c',
      '+/+/',
      ' AAAA',
      'AAAA ',
      'AA AA',
      'AA\nAA',
      'AA\tAA',
      'AA\rAA',
      'AA.A',
      'AAA\u0000',
      'AAAé',
      'ÀAAA',
      'AAA\uff21', // fullwidth A
      '%41AA',
    ];
    for (const s of bad) {
      assert.equal(isCanonicalBase64url(s), false, JSON.stringify(s));
      assert.equal(decodeBase64url(s), undefined, JSON.stringify(s));
    }
  });

  test('random strings: canonical exactly when the oracle says so', () => {
    const chars = `${ALPHABET}+/= .`;
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      const length = next() % 12;
      let s = '';
      for (let j = 0; j < length; j++) s += chars[next() % (next() % 4 === 0 ? chars.length : 64)];
      const ok = isCanonicalBase64url(s);
      assert.equal(ok, oracle(s), JSON.stringify(s));
      if (ok) {
        accepted++;
        assert.equal(decodeBase64url(s)?.toString('base64url'), s);
      }
    }
    assert.ok(accepted > 100, `only ${accepted} canonical strings generated`);
  });

  test('every UTF-16 code unit, at every position of short texts, exactly as the oracle', () => {
    // Node's decoder reads a code unit by its low byte ('\u0141' decodes as 'A') and skips what it
    // does not know: each of the 65536 code units is tried in place of each character.
    const texts = ['AQ', 'AAE', 'QUJD', 'QUJDRA', 'QUJDREU', 'QUJDREVG'];
    for (const text of texts) {
      for (let at = 0; at < text.length; at++) {
        for (let unit = 0; unit <= 0xffff; unit++) {
          const s = text.slice(0, at) + String.fromCharCode(unit) + text.slice(at + 1);
          const decoded = decodeBase64url(s);
          const ok = oracle(s);
          if ((decoded !== undefined) !== ok) assert.fail(`disagrees on ${JSON.stringify(s)}`);
          if (isCanonicalBase64url(s) !== ok)
            assert.fail(`isCanonicalBase64url disagrees on ${JSON.stringify(s)}`);
          if (decoded !== undefined && decoded.toString('base64url') !== s) assert.fail(`round trip ${s}`);
        }
      }
    }
    // The case that makes the ASCII check necessary: same length, same bytes as 'AUJD'.
    assert.deepEqual(Buffer.from('\u0141UJD', 'base64url'), Buffer.from('AUJD', 'base64url'));
    assert.equal(decodeBase64url('\u0141UJD'), undefined);
    assert.equal(isCanonicalBase64url('\u0141UJD'), false);
  });

  test('long texts (an RSA-4096 signature and more) are checked whole', () => {
    for (const n of [512, 1024, 3000]) {
      const text = randomBytes(n).toString('base64url');
      assert.equal(isCanonicalBase64url(text), true);
      assert.deepEqual(decodeBase64url(text)?.toString('base64url'), text);
      for (const at of [0, text.length >> 1, text.length - 1]) {
        const bad = `${text.slice(0, at)}*${text.slice(at + 1)}`;
        assert.equal(isCanonicalBase64url(bad), false, `${n} at ${at}`);
        assert.equal(decodeBase64url(bad), undefined);
      }
    }
  });
});

describe('isCanonicalBase64url: either side of the length where the check changes method', () => {
  test('every UTF-16 code unit at the first, middle and last place of 198- to 203-character texts, exactly as the oracle', () => {
    for (let length = 198; length <= 203; length++) {
      if (length % 4 === 1) continue;
      const text = randomBytes(Math.floor((length * 3) / 4))
        .toString('base64url')
        .slice(0, length);
      const base = oracle(text) ? text : `${text.slice(0, -1)}A`;
      assert.equal(oracle(base), true, base);
      assert.equal(isCanonicalBase64url(base), true, base);
      for (const at of [0, length >> 1, length - 1]) {
        for (let unit = 0; unit <= 0xffff; unit++) {
          const s = base.slice(0, at) + String.fromCharCode(unit) + base.slice(at + 1);
          if (isCanonicalBase64url(s) !== oracle(s)) assert.fail(`disagrees on ${JSON.stringify(s)}`);
        }
      }
    }
  });
});
