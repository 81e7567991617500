// RFC 7515 2 and RFC 4648 5: base64url without padding, and one accepted encoding per byte
// string. Node's decoder does the pass over the text; what it would let through is refused
// around it. It reads '+' and '/' as '-' and '_'; it reads a UTF-16 code unit by its low byte
// ('\u0141' as 'A'), so only ASCII text is decoded; it skips or stops at any other character,
// which then leaves fewer than the ⌊3n/4⌋ bytes n digits carry; and it ignores the spare bits.

function sextet(code: number): number {
  if (code >= 97) return code - 71; // a-z
  if (code === 95) return 63; // '_'
  if (code >= 65) return code - 65; // A-Z
  if (code >= 48) return code + 4; // 0-9
  return 62; // '-'
}

/**
 * The bytes `text` must decode to, or -1 when it cannot be canonical whatever it decodes to:
 * a length of 1 modulo 4, '+' or '/', a code unit above 0x7f (UTF-8 longer than the string),
 * or non-zero spare bits (2 chars carry 1 byte and 4 spare bits, 3 chars 2 bytes and 2).
 */
function expectedBytes(text: string): number {
  const rest = text.length % 4;
  if (rest === 1 || text.includes('+') || text.includes('/')) return -1;
  if (Buffer.byteLength(text, 'utf8') !== text.length) return -1;
  if (rest !== 0 && (sextet(text.charCodeAt(text.length - 1)) & (rest === 2 ? 0x0f : 0x03)) !== 0) return -1;
  return (text.length * 3) >>> 2;
}

// Checks decode here and throw the bytes away, so a check allocates nothing.
let scratch = Buffer.allocUnsafe(1024);

// Every character in the alphabet (\w is [A-Za-z0-9_] without the u flag).
const ALPHABET = /^[\w-]*$/;

/**
 * Short text (the signatures of HMAC, ECDSA and EdDSA, 43 to 176 characters) is checked with one
 * regular expression: cheaper than a call into node's decoder up to about 200 characters (bench/
 * verify), more expensive beyond (RSA signatures), where the decoder is used.
 */
const SHORT = 200;

/** True when `text` is canonical unpadded base64url. */
export function isCanonicalBase64url(text: string): boolean {
  if (text.length <= SHORT) {
    const rest = text.length % 4;
    if (rest === 1 || !ALPHABET.test(text)) return false;
    return rest === 0 || (sextet(text.charCodeAt(text.length - 1)) & (rest === 2 ? 0x0f : 0x03)) === 0;
  }
  const bytes = expectedBytes(text);
  if (bytes < 0) return false;
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(bytes);
  return scratch.write(text, 0, bytes, 'base64url') === bytes;
}

let transient = Buffer.allocUnsafe(1024);

/**
 * Decodes canonical base64url into a buffer this module reuses, or returns undefined. The bytes
 * hold only until the next call: for bytes read at once (JSON text turned into a string, a
 * signature handed to node:crypto), so that no buffer is allocated per token.
 */
export function decodeBase64urlTransient(text: string): Buffer | undefined {
  const bytes = expectedBytes(text);
  if (bytes < 0) return undefined;
  if (transient.length < bytes) transient = Buffer.allocUnsafe(Math.max(bytes, 2 * transient.length));
  return transient.write(text, 0, bytes, 'base64url') === bytes ? transient.subarray(0, bytes) : undefined;
}

/** Decodes canonical base64url, or returns undefined. */
export function decodeBase64url(text: string): Buffer | undefined {
  const bytes = expectedBytes(text);
  if (bytes < 0) return undefined;
  const decoded = Buffer.from(text, 'base64url');
  return decoded.length === bytes ? decoded : undefined;
}
