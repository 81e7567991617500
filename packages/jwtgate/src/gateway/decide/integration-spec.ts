import type { GatewayConfig } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import { STRIPPED_CLIENT_HEADERS } from '../headers/header-policy.ts';

/** What a proxy needs to know to ask the decision listener and to copy its answer. */
export interface IntegrationSpec {
  /** The decision listener as the proxy reaches it, without a trailing slash. */
  readonly decisionUrl: string;
  /** host:port of the decision listener (for proxies that take an address, not a URL). */
  readonly decisionAddress: string;
  /** Every identity header any route sets (and the signed identity's), as written in the config: the proxy copies them. */
  readonly identityHeaders: readonly string[];
  /** Headers the answer may carry besides identity, copied too (X-Request-Id). */
  readonly answerHeaders: readonly string[];
  /**
   * Client headers the gateway never forwards and a proxy passes on unchanged unless told:
   * cleared in every snippet (the identity headers are cleared by the copy itself).
   */
  readonly clearedHeaders: readonly string[];
  /** The reserved prefix (`identity_header_prefix`): client headers under it are cleared too. */
  readonly reservedPrefix: string;
  /** Request headers that carry tokens (the proxy must pass them to the decision). */
  readonly tokenHeaders: readonly string[];
  /** Where the proxy sends allowed requests. */
  readonly upstream: string;
  /** The proxy's listening port in the printed server block. */
  readonly listenPort: number;
}

/** X-Forwarded-User, not x-forwarded-user: as proxies' configs and docs write names. */
export function displayName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** Reads the integration of a configuration; ConfigError when it has no `gateway.decisions`. */
export function integrationSpec(
  config: GatewayConfig,
  file: string,
  options: { upstream: string; listenPort: number },
): IntegrationSpec {
  const g = config.gateway;
  if (g.decisions === undefined)
    throw new ConfigError(file, [
      'gateway.decisions: required to integrate with a proxy (listen, trusted_proxies)',
    ]);
  const listen = g.decisions.listen;
  const url = (g.decisions.url ?? `http://${listen}`).replace(/\/+$/, '');
  const identity = new Map<string, string>();
  for (const r of g.routes) {
    // The signed identity token (signed_identity.header) is copied like any identity header.
    const names = [
      ...Object.keys(r.identity_headers ?? {}),
      ...(r.signed_identity ? [r.signed_identity.header] : []),
    ];
    for (const name of names) if (!identity.has(name.toLowerCase())) identity.set(name.toLowerCase(), name);
  }
  const tokens = new Set<string>(['authorization', 'cookie']);
  for (const p of Object.values(g.providers))
    for (const s of p.token_from ?? []) if ('header' in s) tokens.add(s.header.toLowerCase());
  const cleared = STRIPPED_CLIENT_HEADERS.filter((h) => !identity.has(h)).map(displayName);
  const u = new URL(url);
  return {
    decisionUrl: url,
    decisionAddress: u.host,
    identityHeaders: [...identity.values()].sort((a, b) => a.localeCompare(b)),
    answerHeaders: ['X-Request-Id'],
    clearedHeaders: cleared,
    reservedPrefix: displayName((g.identity_header_prefix ?? 'x-jwtgate-').toLowerCase()),
    tokenHeaders: [...tokens],
    upstream: options.upstream,
    listenPort: options.listenPort,
  };
}
