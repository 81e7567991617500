import type { CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import { verifiedClientCertificate } from '../tls/client-subject.ts';
import { type Denial, gatewayDenial, type RequestState } from './request-state.ts';

/**
 * Step: a route with `client_certificate` needs a client certificate the listener verified
 * (mTLS), with a listed subject when it lists any. Before the token: a caller without the
 * certificate learns nothing about the token it sent.
 */
export function checkClientCertificate(s: RequestState): Denial | undefined {
  const rule = (s.route as CompiledRoute).clientCertificate;
  if (rule === null) return undefined;
  const cert = verifiedClientCertificate(s.req);
  if (cert === null) return gatewayDenial(s, new GatewayError('ERR_CLIENT_CERT_REQUIRED'));
  if (rule.subjects !== null && !rule.subjects.some((m) => m(cert.subject)))
    return gatewayDenial(s, new GatewayError('ERR_CLIENT_CERT_REFUSED'));
  s.clientSubject = cert.text;
  return undefined;
}
