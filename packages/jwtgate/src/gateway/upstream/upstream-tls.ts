import { getCACertificates } from 'node:tls';
import type { ConfigPath, ConfigProblems } from '../config/config-source.ts';
import type { UpstreamTlsConfig } from '../config/types.ts';
import { readPem } from '../tls/load-server-tls.ts';

/** How the gateway connects to a route's `https://` upstreams (undici's `connect` options). */
export interface UpstreamTls {
  /** The CAs the upstream's certificate must chain to. */
  readonly ca: readonly (string | Buffer)[];
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** SNI and the name checked on the certificate; default: the URL's host. */
  readonly servername?: string;
  /** Pools are shared by origin and TLS settings: routes with different settings get their own. */
  readonly id: string;
}

let systemCas: readonly string[] | null = null;

/** The operating system's trust store (/etc/ssl/certs on Debian) and Node's bundled roots. */
function systemTrust(): readonly string[] {
  systemCas ??= [...new Set([...getCACertificates('system'), ...getCACertificates('default')])];
  return systemCas;
}

/** Reads a route's `upstream_tls` files; problems are pushed with the file and path. */
export function loadUpstreamTls(
  config: UpstreamTlsConfig,
  at: ConfigPath,
  problems: ConfigProblems,
): UpstreamTls {
  if ((config.cert === undefined) !== (config.key === undefined))
    problems.add(at, 'cert and key go together (mTLS to the upstream needs both)');
  const ca = config.ca ? (readPem(config.ca, [...at, 'ca'], problems) ?? undefined) : undefined;
  const cert = config.cert ? (readPem(config.cert, [...at, 'cert'], problems) ?? undefined) : undefined;
  const key = config.key ? (readPem(config.key, [...at, 'key'], problems) ?? undefined) : undefined;
  return Object.freeze({
    ca: ca ? [ca] : systemTrust(),
    ...(cert && key ? { cert, key } : {}),
    ...(config.server_name ? { servername: config.server_name } : {}),
    id: JSON.stringify([
      config.ca ?? null,
      config.cert ?? null,
      config.key ?? null,
      config.server_name ?? null,
    ]),
  });
}

/** undici `connect` options: verification is never turned off. */
export function connectOptions(tls: UpstreamTls | null): Record<string, unknown> {
  if (tls === null) return {};
  return {
    connect: {
      ca: tls.ca,
      rejectUnauthorized: true,
      ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
    },
  };
}
