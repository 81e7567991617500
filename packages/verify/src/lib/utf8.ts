import { isUtf8 } from 'node:buffer';

/**
 * Decodes UTF-8 strictly: undefined for invalid input, never a silent U+FFFD (RFC 7515 5.2,
 * RFC 3629). Buffer#toString replaces each invalid sequence with U+FFFD, so text without one
 * came from valid UTF-8; only text with one (which valid UTF-8 can also spell) is validated
 * again. The search costs nothing for ASCII text: V8 knows a one-byte string cannot hold it.
 */
export function decodeUtf8(bytes: Buffer): string | undefined {
  // toString() without arguments is node's shortest path to UTF-8 text.
  const text = bytes.toString();
  return text.includes('\ufffd') && !isUtf8(bytes) ? undefined : text;
}
