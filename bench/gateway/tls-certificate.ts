// bench/gateway: one self-signed P-256 certificate per run for bench.test and 127.0.0.1 (ECDSA,
// the common choice at the edge), made with openssl, for every proxy terminating TLS.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTool, scratch } from '../lib/processes.ts';

export interface BenchCertificate {
  readonly cert: string;
  readonly key: string;
  /** The certificate itself, as the CA a check trusts. */
  readonly ca: Buffer;
}

let made: BenchCertificate | null = null;

export function benchCertificate(): BenchCertificate {
  if (made !== null) return made;
  const openssl = findTool('openssl');
  if (openssl === null) throw new Error('the TLS rows need openssl (apt-get install -y openssl)');
  const cert = join(scratch(), 'bench-tls.pem');
  const key = join(scratch(), 'bench-tls.key');
  execFileSync(
    openssl,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1']
      .concat(['-keyout', key, '-out', cert, '-subj', '/CN=bench.test'])
      .concat(['-addext', 'subjectAltName=DNS:bench.test,IP:127.0.0.1']),
    { stdio: 'ignore' },
  );
  made = { cert, key, ca: readFileSync(cert) };
  return made;
}
