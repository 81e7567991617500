import { type Algorithm, isAlgorithm } from './algorithms.ts';
import { fail } from './errors.ts';
import { decodeBase64urlTransient, isCanonicalBase64url } from './lib/base64url.ts';
import { parseJsonObject } from './lib/strict-json.ts';
import { decodeUtf8 } from './lib/utf8.ts';

/** A JOSE header as found in a token (RFC 7515 4.1). Unlisted members are kept but never used. */
export interface JwtHeader {
  readonly alg: Algorithm;
  readonly kid?: string;
  readonly typ?: string;
  readonly [member: string]: unknown;
}

/** A JWT claims set (RFC 7519 4). */
export interface JwtClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp?: number;
  readonly nbf?: number;
  readonly iat?: number;
  readonly jti?: string;
  readonly [claim: string]: unknown;
}

/** A compact JWS split and decoded, before any signature or claim is checked. */
export interface ParsedToken {
  readonly header: JwtHeader;
  readonly claims: JwtClaims;
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`: the bytes the signature covers. */
  readonly signingInput: string;
  /** The signature segment, checked to be canonical base64url (decoded only where needed). */
  readonly signature: string;
}

function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  // The bytes only live until they are text: a reused buffer, nothing allocated per token.
  const bytes = decodeBase64urlTransient(segment);
  // RFC 7515 5.2: the decoded segment is UTF-8 JSON; invalid UTF-8 is not silently replaced.
  const text = bytes === undefined ? undefined : decodeUtf8(bytes);
  return text === undefined ? undefined : parseJsonObject(text);
}

/** Validates a decoded JOSE header; throws with the code that says what is wrong. */
function checkHeader(header: Record<string, unknown>): JwtHeader {
  // alg 'none' in any casing, or anything not implemented, is simply not an algorithm here.
  if (!isAlgorithm(header.alg)) throw fail('ERR_ALG_NOT_ALLOWED');
  if (header.kid !== undefined && typeof header.kid !== 'string') throw fail('ERR_TOKEN_MALFORMED', 'kid');
  if (header.typ !== undefined && typeof header.typ !== 'string') throw fail('ERR_TOKEN_MALFORMED', 'typ');
  // RFC 7515 4.1.11: a crit extension we do not implement makes the token invalid. We implement none.
  if (header.crit !== undefined) throw fail('ERR_HEADER_UNSUPPORTED', 'crit');
  // RFC 7797: b64=false changes what is signed; not supported. zip/enc belong to JWE.
  if (header.b64 !== undefined) throw fail('ERR_HEADER_UNSUPPORTED', 'b64');
  if (header.zip !== undefined || header.enc !== undefined) throw fail('ERR_HEADER_UNSUPPORTED', 'zip/enc');
  // jku, x5u, x5c and jwk are never read: keys come only from the provider's configured source.
  return header as unknown as JwtHeader;
}

/**
 * Parses headers once per distinct header segment: issuers send the same header on every token,
 * and the result depends on the segment text alone. Only valid headers are kept.
 */
export class HeaderCache {
  readonly #max: number;
  #map = new Map<string, JwtHeader>();
  #last: { readonly segment: string; readonly header: JwtHeader } | undefined;

  constructor(max = 1024) {
    this.#max = max;
  }

  get(segment: string): JwtHeader {
    // Most tokens carry the header of the token before them (one issuer, one key): one string
    // compare, no hashing.
    const last = this.#last;
    if (last !== undefined && last.segment === segment) return last.header;
    let header = this.#map.get(segment);
    if (header === undefined) {
      const decoded = decodeJsonSegment(segment);
      if (decoded === undefined) throw fail('ERR_TOKEN_MALFORMED', 'header');
      header = Object.freeze(checkHeader(decoded));
      if (this.#map.size >= this.#max) this.#map = new Map();
      this.#map.set(segment, header);
    }
    this.#last = { segment, header };
    return header;
  }
}

/**
 * Splits a compact JWS strictly (RFC 7515 7.1): size first, then exactly three segments of
 * canonical base64url, a header and a payload that are JSON objects without duplicate names.
 */
export function parseToken(token: string, maxBytes: number, headers: HeaderCache): ParsedToken {
  if (token.length > maxBytes) throw fail('ERR_TOKEN_TOO_LARGE', `over ${maxBytes} bytes`);
  const dot1 = token.indexOf('.');
  const dot2 = dot1 === -1 ? -1 : token.indexOf('.', dot1 + 1);
  if (dot2 === -1 || token.indexOf('.', dot2 + 1) !== -1)
    throw fail('ERR_TOKEN_MALFORMED', 'not a compact JWS');
  const header = headers.get(token.slice(0, dot1));
  const claims = decodeJsonSegment(token.slice(dot1 + 1, dot2));
  if (claims === undefined) throw fail('ERR_TOKEN_MALFORMED', 'payload');
  const signature = token.slice(dot2 + 1);
  if (!isCanonicalBase64url(signature)) throw fail('ERR_TOKEN_MALFORMED', 'signature encoding');
  return { header, claims, signingInput: token.slice(0, dot2), signature };
}
