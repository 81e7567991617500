import type { IntegrationSpec } from '../integration-spec.ts';
import { caddySnippet } from './caddy.ts';
import { envoySnippet } from './envoy.ts';
import { ingressNginxSnippet, nginxSnippet } from './nginx.ts';
import { traefikSnippet } from './traefik.ts';

/** The proxies `jwtgate integrate` writes a configuration for, by name. */
export const PROXY_SNIPPETS: Readonly<Record<string, (spec: IntegrationSpec) => string>> = {
  nginx: nginxSnippet,
  traefik: traefikSnippet,
  caddy: caddySnippet,
  envoy: envoySnippet,
  'ingress-nginx': ingressNginxSnippet,
};
