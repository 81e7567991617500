// RFC 7515 2 and RFC 4648 5: base64url without padding. Node's decoder is lenient (it skips
// unknown characters and ignores non-zero trailing bits), so the alphabet, the length and the
// trailing bits are checked first: one byte string has exactly one accepted encoding.
const ALPHABET = /^[A-Za-z0-9_-]*$/;

function sextet(code: number): number {
  if (code >= 97) return code - 71; // a-z
  if (code === 95) return 63; // '_'
  if (code >= 65) return code - 65; // A-Z
  if (code >= 48) return code + 4; // 0-9
  return 62; // '-'
}

/** True when `text` is canonical unpadded base64url. */
export function isCanonicalBase64url(text: string): boolean {
  const rest = text.length % 4;
  if (rest === 1 || !ALPHABET.test(text)) return false;
  if (rest === 0) return true;
  const last = sextet(text.charCodeAt(text.length - 1));
  // 2 chars carry 1 byte (4 spare bits), 3 chars carry 2 bytes (2 spare bits): spare bits must be 0.
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** Decodes canonical base64url, or returns undefined. */
export function decodeBase64url(text: string): Buffer | undefined {
  return isCanonicalBase64url(text) ? Buffer.from(text, 'base64url') : undefined;
}
