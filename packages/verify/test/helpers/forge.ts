// Hand-built tokens for attack and parser tests: raw segments signed with node:crypto, so a test
// controls every byte (non-canonical encodings, duplicate members, invalid UTF-8, odd headers).
import assert from 'node:assert/strict';
import { constants, createHmac, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CryptoKey } from 'jose';
import { JwtGateError } from '../../src/errors.ts';

/** A private key as makeKeyPair gives it (CryptoKey), a node KeyObject, or HMAC secret bytes/text. */
export type SigningKey = KeyObject | CryptoKey | Uint8Array | string;

function toKeyObject(key: KeyObject | CryptoKey): KeyObject {
  return key instanceof KeyObject ? key : KeyObject.from(key);
}

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** Signs `signingInput` (ASCII) as JWS `alg` would, returning the raw signature bytes. */
export function signRaw(alg: string, key: SigningKey, signingInput: string): Buffer {
  const data = Buffer.from(signingInput, 'latin1');
  const hash = HASH[alg.slice(-3)] ?? 'sha256';
  if (alg.startsWith('HS')) {
    const secret = typeof key === 'string' ? Buffer.from(key) : key instanceof Uint8Array ? key : null;
    return createHmac(hash, secret ?? toKeyObject(key as KeyObject))
      .update(data)
      .digest();
  }
  const k = toKeyObject(key as KeyObject | CryptoKey);
  if (alg === 'EdDSA') return sign(null, data, k);
  if (alg.startsWith('ES')) return sign(hash, data, { key: k, dsaEncoding: 'ieee-p1363' });
  if (alg.startsWith('PS')) {
    return sign(hash, data, {
      key: k,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(-3)) / 8,
    });
  }
  return sign(hash, data, k);
}

/** base64url of UTF-8 text or of raw bytes. */
export function enc(value: string | Uint8Array): string {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value)).toString('base64url');
}

/** A JSON value, or JSON text as is (to write duplicate members, `1e400`, odd escapes). */
export type JsonPart = string | Record<string, unknown>;

const text = (part: JsonPart) => (typeof part === 'string' ? part : JSON.stringify(part));

/** Signs already-encoded header and payload segments; the signature is canonical base64url. */
export function signSegments(headerSeg: string, payloadSeg: string, alg: string, key: SigningKey): string {
  const input = `${headerSeg}.${payloadSeg}`;
  return `${input}.${signRaw(alg, key, input).toString('base64url')}`;
}

/** Builds and signs a compact JWS from header and payload JSON (objects or literal JSON text). */
export function forge(header: JsonPart, payload: JsonPart, key: SigningKey, alg?: string): string {
  const h = text(header);
  const algorithm = alg ?? (JSON.parse(h) as { alg: string }).alg;
  return signSegments(enc(h), enc(text(payload)), algorithm, key);
}

/** Re-encodes an ECDSA IEEE P1363 signature (r || s) as ASN.1 DER, as some libraries wrongly emit. */
export function p1363ToDer(signature: Uint8Array): Buffer {
  const half = signature.length / 2;
  const integer = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let body = Buffer.from(bytes.subarray(i));
    if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const seq = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))]);
  const len = seq.length < 0x80 ? Buffer.from([seq.length]) : Buffer.from([0x81, seq.length]);
  return Buffer.concat([Buffer.from([0x30]), len, seq]);
}

/** Changes the last character of a base64url segment so only its unused trailing bits differ. */
export function setTrailingBits(segment: string): string {
  const rest = segment.length % 4;
  assert.ok(rest === 2 || rest === 3, `segment length ${segment.length} has no spare bits`);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const value = alphabet.indexOf(segment.charAt(segment.length - 1));
  const changed = alphabet.charAt(value | 1);
  const out = segment.slice(0, -1) + changed;
  assert.notEqual(out, segment);
  assert.deepEqual(Buffer.from(out, 'base64url'), Buffer.from(segment, 'base64url'));
  return out;
}

/** Asserts that `promise` rejects with a JwtGateError carrying `code`; returns the error. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  message?: string,
): Promise<JwtGateError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `${message ? `${message}: ` : ''}expected ${code}, but it was accepted`);
  assert.ok(caught instanceof JwtGateError, `${message ?? ''} not a JwtGateError: ${String(caught)}`);
  assert.equal(caught.code, code, `${message ? `${message}: ` : ''}${caught.message}`);
  return caught;
}

/** Asserts that `fn` throws a JwtGateError carrying `code`; returns the error. */
export function throwsWith(fn: () => unknown, code: string, message?: string): JwtGateError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `${message ? `${message}: ` : ''}expected ${code}, nothing was thrown`);
  assert.ok(caught instanceof JwtGateError, `${message ?? ''} not a JwtGateError: ${String(caught)}`);
  assert.equal(caught.code, code, `${message ? `${message}: ` : ''}${caught.message}`);
  return caught;
}

/** A temporary directory for key and secret files; `cleanup` removes it. */
export function tempDir(): {
  dir: string;
  write(name: string, content: string | Uint8Array): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'jwtgate-test-'));
  return {
    dir,
    write(name, content) {
      const file = join(dir, name);
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** mulberry32: a small seeded PRNG, so a failing fuzz case can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
