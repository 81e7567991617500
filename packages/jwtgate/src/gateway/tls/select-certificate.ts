import type { X509Certificate } from 'node:crypto';

/** The DNS names a certificate is valid for (its subjectAltName; RFC 6125 6.4.4: not the CN). */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  return san
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}

/**
 * SNI: an exact name first, then a wildcard for the name's parent (`*.example.com` covers
 * `a.example.com`, one label only, RFC 6125 6.4.3), then `fallback`. The first certificate to
 * claim a name keeps it.
 */
export function compileCertificateSelector<C>(
  entries: readonly { readonly context: C; readonly names: readonly string[] }[],
  fallback: C,
): (servername: string | undefined) => C {
  const exact = new Map<string, C>();
  const wildcard = new Map<string, C>();
  for (const { context, names } of entries) {
    for (const raw of names) {
      const name = raw.toLowerCase();
      if (name.startsWith('*.')) {
        if (!wildcard.has(name.slice(1))) wildcard.set(name.slice(1), context);
      } else if (!exact.has(name)) exact.set(name, context);
    }
  }
  return (servername) => {
    if (!servername) return fallback;
    const name = servername.toLowerCase();
    const found = exact.get(name);
    if (found !== undefined) return found;
    const dot = name.indexOf('.');
    return (dot > 0 ? wildcard.get(name.slice(dot)) : undefined) ?? fallback;
  };
}
