import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { ConfigPath, ConfigProblems } from '../config/config-source.ts';
import type { TlsConfig } from '../config/types.ts';
import { certificateNames, compileCertificateSelector } from './select-certificate.ts';

/** The listener's TLS as loaded from its files: contexts chosen by SNI, and what the server needs. */
export interface ServerTls {
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly http2: boolean;
  /** Client certificates: asked for and required, asked for only, or not asked for. */
  readonly clientAuth: 'required' | 'optional' | null;
  /** Every file read: watched, so a certificate rotated on disk is picked up. */
  readonly files: readonly string[];
  /** The context for a handshake's SNI name (the first certificate's when none matches). */
  readonly select: (servername: string | undefined) => SecureContext;
  /** The PEM of the first certificate and key, and the CA: the server's default context. */
  readonly defaults: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer };
}

/** A PEM file's bytes, or null with the problem recorded at `at`. */
export function readPem(file: string, at: ConfigPath, problems: ConfigProblems): Buffer | null {
  try {
    const pem = readFileSync(file);
    if (!pem.includes('-----BEGIN ')) {
      problems.add(at, `${file} is not a PEM file`);
      return null;
    }
    return pem;
  } catch (err) {
    problems.add(at, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return null;
  }
}

/**
 * Reads `gateway.tls`: each certificate and key (checked to be a pair), their names, the client
 * CA. Problems are pushed (file and path named) and null returned, so a bad file fails the load,
 * and a reload keeps the running contexts.
 */
export function loadServerTls(tls: TlsConfig, problems: ConfigProblems): ServerTls | null {
  const minVersion = tls.min_version ?? 'TLSv1.2';
  const before = problems.count;
  const files: string[] = [];
  let ca: Buffer | undefined;
  if (tls.client_certificates) {
    files.push(tls.client_certificates.ca);
    ca =
      readPem(tls.client_certificates.ca, ['gateway', 'tls', 'client_certificates', 'ca'], problems) ??
      undefined;
  }
  const loaded: { context: SecureContext; names: string[]; cert: Buffer; key: Buffer }[] = [];
  tls.certificates.forEach((c, i) => {
    const at: ConfigPath = ['gateway', 'tls', 'certificates', i];
    files.push(c.cert, c.key);
    const cert = readPem(c.cert, [...at, 'cert'], problems);
    const key = readPem(c.key, [...at, 'key'], problems);
    if (cert === null || key === null) return;
    let names: string[];
    try {
      names = c.names ?? certificateNames(new X509Certificate(cert));
    } catch (err) {
      problems.add([...at, 'cert'], `${c.cert} holds no readable certificate (${(err as Error).message})`);
      return;
    }
    try {
      // Throws when the key is not the certificate's ("key values mismatch") or either is unreadable.
      const context = createSecureContext({ cert, key, minVersion, ...(ca ? { ca } : {}) });
      loaded.push({ context, names, cert, key });
    } catch (err) {
      problems.add(
        at,
        `${c.cert} and ${c.key} are not a certificate and its key (${(err as Error).message})`,
      );
    }
  });
  if (problems.count > before) return null;
  const first = loaded[0] as (typeof loaded)[number];
  return Object.freeze({
    minVersion,
    http2: tls.http2 !== false,
    clientAuth: tls.client_certificates ? (tls.client_certificates.mode ?? 'optional') : null,
    files,
    select: compileCertificateSelector(loaded, first.context),
    defaults: { cert: first.cert, key: first.key, ...(ca ? { ca } : {}) },
  });
}
