import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** A compiled `client_certificate.subjects` entry: every attribute given must match. */
export type SubjectMatcher = (subject: Readonly<Record<string, string | string[]>>) => boolean;

/** `svc-a` (the common name) or `CN=svc-a,O=Example` (each attribute must be the certificate's). */
export function compileSubjectMatcher(text: string): SubjectMatcher {
  const pairs = text.includes('=')
    ? text.split(',').map((part) => {
        const eq = part.indexOf('=');
        return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as const;
      })
    : [['CN', text] as const];
  return (subject) =>
    pairs.every(([k, v]) => {
      const have = subject[k];
      return Array.isArray(have) ? have.includes(v) : have === v;
    });
}

/** The subject as one string, attributes in the certificate's order: `CN=svc-a,O=Example`. */
export function formatSubject(subject: Readonly<Record<string, string | string[]>>): string {
  return Object.entries(subject)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => `${k}=${one}`))
    .join(',');
}

export interface ClientCertificate {
  readonly subject: Readonly<Record<string, string | string[]>>;
  readonly text: string;
}

// One look per connection: HTTP/1.1 requests share the socket, HTTP/2 streams the session's.
const seen = new WeakMap<object, ClientCertificate | null>();

/**
 * The client certificate of the request's connection when the TLS layer verified it against the
 * listener's CA (`tls.client_certificates`); null on plain HTTP, without one, or unverified.
 */
export function verifiedClientCertificate(req: IncomingMessage): ClientCertificate | null {
  const stream = (req as { stream?: { session?: { socket?: TLSSocket } } }).stream;
  const socket = (stream?.session?.socket ?? req.socket) as TLSSocket;
  const known = seen.get(socket);
  if (known !== undefined) return known;
  let found: ClientCertificate | null = null;
  if (socket.encrypted === true && socket.authorized === true) {
    const cert = socket.getPeerCertificate();
    if (cert?.subject) {
      const subject = { ...cert.subject } as Record<string, string | string[]>;
      found = Object.freeze({ subject, text: formatSubject(subject) });
    }
  }
  seen.set(socket, found);
  return found;
}
