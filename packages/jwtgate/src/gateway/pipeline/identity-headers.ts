import { compileClaimPath, type JwtClaims } from '@jwtgate/verify';

/** Sets identity headers from claims on the upstream request headers. */
export type IdentityMutator = (claims: JwtClaims, headers: Record<string, string>) => void;

// Header values are visible ASCII; anything else (non-ASCII names, control characters that
// could split a header) is percent-encoded rather than passed raw.
const SAFE = /^[\x20-\x7e]*$/;

function headerValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  let text: string;
  if (Array.isArray(value))
    text = value.filter((v) => typeof v === 'string' || typeof v === 'number').join(',');
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    text = String(value);
  else text = JSON.stringify(value);
  return SAFE.test(text) ? text : encodeURIComponent(text);
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
