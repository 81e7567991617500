import { compileClaimPath, type JwtClaims } from '@jwtgate/verify';

/** Sets identity headers from claims on the upstream request headers. */
export type IdentityMutator = (claims: JwtClaims, headers: Record<string, string>) => void;

// Header values are visible ASCII. Within one value, '%' and anything outside visible ASCII
// (control characters that could split a header, non-ASCII text) are percent-encoded; for array
// claims ',' is encoded too, so the ',' between elements is the only one: a role "x,admin" can
// never read as two roles "x" and "admin".
const PLAIN = /^[\x20-\x24\x26-\x7e]*$/; // visible ASCII and space, without '%'
const PLAIN_ELEMENT = /^[\x20-\x24\x26-\x2b\x2d-\x7e]*$/; // ... and without ','
// HTTP parsers drop spaces at either end of a value (RFC 9110 5.5): encoded, so " admin" cannot
// reach the upstream as "admin".
const EDGE_SPACE = /^ | $/g;
const hasEdgeSpace = (text: string) => text.startsWith(' ') || text.endsWith(' ');

function encode(text: string, plain: RegExp): string {
  if (plain.test(text) && !hasEdgeSpace(text)) return text;
  let out = '';
  // A lone surrogate has no UTF-8 form (encodeURIComponent throws): U+FFFD, as UTF-8 encoders write it.
  for (const ch of text.toWellFormed())
    out += plain.test(ch) ? ch : encodeURIComponent(ch).replace(/,/g, '%2C');
  return out.replace(EDGE_SPACE, '%20');
}

function headerValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.filter((v) => typeof v === 'string' || typeof v === 'number');
    // No header for no elements: an empty value is the list [""], and [] must not read as it.
    if (items.length === 0) return undefined;
    return items.map((v) => encode(String(v), PLAIN_ELEMENT)).join(',');
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return encode(String(value), PLAIN);
  }
  return encode(JSON.stringify(value), PLAIN);
}

/**
 * Compiles `identity_headers` (header name -> claim path). Arrays become comma-separated values
 * (`X-User-Roles: billing,admin`); absent claims set no header.
 */
export function compileIdentityHeaders(mapping: Readonly<Record<string, string>>): IdentityMutator {
  const entries = Object.entries(mapping).map(
    ([header, path]) => [header.toLowerCase(), compileClaimPath(path)] as const,
  );
  if (entries.length === 0) return () => {};
  return (claims, headers) => {
    for (const [header, read] of entries) {
      const value = headerValue(read(claims));
      if (value !== undefined) headers[header] = value;
    }
  };
}
