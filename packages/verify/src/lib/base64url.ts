// RFC 7515 2 and RFC 4648 5: base64url without padding. Node's decoder is lenient (it skips
// unknown characters and ignores non-zero trailing bits), so the alphabet, the length and the
// trailing bits are checked too: one byte string has exactly one accepted encoding.
const ALPHABET = /^[A-Za-z0-9_-]*$/;

function sextet(code: number): number {
  if (code >= 97) return code - 71; // a-z
  if (code === 95) return 63; // '_'
  if (code >= 65) return code - 65; // A-Z
  if (code >= 48) return code + 4; // 0-9
  return 62; // '-'
}

/** 2 chars carry 1 byte (4 spare bits), 3 chars carry 2 bytes (2 spare bits): spare bits must be 0. */
function spareBitsZero(text: string, rest: number): boolean {
  return (sextet(text.charCodeAt(text.length - 1)) & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** True when `text` is canonical unpadded base64url. */
export function isCanonicalBase64url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 1 || !ALPHABET.test(text)) return false;
  return rest === 0 || spareBitsZero(text, rest);
}

/**
 * Decodes canonical base64url, or returns undefined. Node decodes; what its decoder would let
 * through is refused around it, without a pass of our own over the text. It reads '+' and '/'
 * as '-' and '_'; it reads a UTF-16 code unit by its low byte ('\u0141' as 'A'), so only ASCII
 * text is decoded; it skips or stops at any other character, which then leaves fewer than the
 * ⌊3n/4⌋ bytes n digits carry; and it ignores the spare bits.
 */
export function decodeBase64url(text: string): Buffer | undefined {
  const rest = text.length % 4;
  if (rest === 1 || text.includes('+') || text.includes('/')) return undefined;
  // UTF-8 as long as the string: every code unit is ASCII.
  if (Buffer.byteLength(text, 'utf8') !== text.length) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== (text.length * 3) >>> 2) return undefined;
  return rest === 0 || spareBitsZero(text, rest) ? bytes : undefined;
}
