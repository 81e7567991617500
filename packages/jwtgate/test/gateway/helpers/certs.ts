// Certificates generated in the test with Debian's openssl CLI: a CA, and leaf certificates it
// signs for server names (SNI tests), client subjects (mTLS) or both. Nothing is committed.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OPENSSL = '/usr/bin/openssl';

export interface TestCa {
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
}

export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

const run = (args: string[]) => execFileSync(OPENSSL, args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A self-signed P-256 CA in `dir` (its files `<name>.pem`, `<name>.key`). */
export function makeCa(dir: string, name = 'ca', cn = 'jwtgate test CA'): TestCa {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { dir, cert, key };
}

/**
 * A leaf signed by `ca`: `dns` names (and 127.0.0.1) in its subjectAltName, subject `/CN=<cn>`
 * (`subject` overrides: `/CN=svc-a/O=Example`), good for servers and clients. Written to
 * `<file>.pem` and `<file>.key` (or `out` when given, e.g. to swap a certificate on disk).
 */
export function makeCert(
  ca: TestCa,
  file: string,
  options: { dns?: string[]; cn?: string; subject?: string; out?: TestCert } = {},
): TestCert {
  const out = options.out ?? { cert: join(ca.dir, `${file}.pem`), key: join(ca.dir, `${file}.key`) };
  const csr = join(ca.dir, `${file}.csr`);
  const ext = join(ca.dir, `${file}.ext`);
  const san = [...(options.dns ?? []).map((d) => `DNS:${d}`), 'IP:127.0.0.1'].join(',');
  writeFileSync(
    ext,
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`,
  );
  run([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    out.key,
    '-out',
    csr,
    '-subj',
    options.subject ?? `/CN=${options.cn ?? file}`,
  ]);
  run([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    out.cert,
    '-extfile',
    ext,
  ]);
  return out;
}
