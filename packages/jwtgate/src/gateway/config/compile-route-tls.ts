import { identityHeaderProblem } from '../headers/header-policy.ts';
import { compileSubjectMatcher, type SubjectMatcher } from '../tls/client-subject.ts';
import { loadUpstreamTls, type UpstreamTls } from '../upstream/upstream-tls.ts';
import type { ConfigPath, ConfigProblems } from './config-source.ts';
import type { GatewaySection, RouteConfig } from './types.ts';

/** A route's `client_certificate`: the subjects it takes (null: any verified one) and its header. */
export interface ClientCertificateRule {
  readonly subjects: readonly SubjectMatcher[] | null;
  readonly header: string | null;
}

/** The route's client-certificate rule, or null; it needs the listener's client CA. */
export function routeClientCertificate(
  r: RouteConfig,
  at: ConfigPath,
  g: GatewaySection,
  problems: ConfigProblems,
): ClientCertificateRule | null {
  const c = r.client_certificate;
  if (c === undefined) return null;
  if (!g.tls?.client_certificates)
    problems.add(
      [...at, 'client_certificate'],
      'needs gateway.tls.client_certificates (a CA to verify them)',
    );
  if (c.header !== undefined) {
    const problem = identityHeaderProblem(c.header);
    if (problem !== null) problems.add([...at, 'client_certificate', 'header'], problem);
  }
  return Object.freeze({
    subjects: c.subjects?.map(compileSubjectMatcher) ?? null,
    header: c.header?.toLowerCase() ?? null,
  });
}

/** The route's `upstream_tls` with its files read, or null; only for https upstreams. */
export function routeUpstreamTls(
  r: RouteConfig,
  at: ConfigPath,
  problems: ConfigProblems,
): UpstreamTls | null {
  if (r.upstream_tls === undefined) return null;
  const urls = Array.isArray(r.upstream) ? r.upstream : [r.upstream];
  if (!urls.some((u) => u.startsWith('https:')))
    problems.add([...at, 'upstream_tls'], 'the route has no https:// upstream');
  return loadUpstreamTls(r.upstream_tls, [...at, 'upstream_tls'], problems);
}
