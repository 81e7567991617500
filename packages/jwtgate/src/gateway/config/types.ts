// The configuration as validated against CONFIG_SCHEMA (snake_case, as written in the file).

export type Duration = number | string;

export type TokenSourceConfig =
  | { bearer: true }
  | { header: string; prefix?: string }
  | { cookie: string }
  | { query: string };

export interface ProviderConfig {
  issuer: string;
  jwks_uri?: string;
  secret?: string;
  keys?: { jwks_file?: string; files?: string[] };
  algorithms: string[];
  audiences: string[];
  audience_mode?: 'any' | 'all';
  token_types?: string[];
  token_from?: TokenSourceConfig[];
  leeway?: Duration;
  max_token_age?: Duration;
  require_sub?: boolean;
  required_claims?: string[];
  roles_claim?: string;
  jwks?: {
    timeout?: Duration;
    cooldown?: Duration;
    cache_max_age?: Duration;
    max_bytes?: number;
    allow_http?: boolean;
  };
}

export interface RequiresConfig {
  provider?: string;
  any?: string[];
  all?: string[];
  roles_any?: string[];
  roles_all?: string[];
  scopes_any?: string[];
  scopes_all?: string[];
}

export interface RouteConfig {
  name: string;
  match: { path: string; methods?: string[] };
  public?: boolean;
  requires?: RequiresConfig;
  upstream: string | string[];
  strip_prefix?: string;
  identity_headers?: Record<string, string>;
  forward_token?: boolean;
  strip_headers?: string[];
  method_override?: 'refuse' | 'strip' | 'allow';
  max_concurrent?: number;
  timeout?: Duration;
  max_body_bytes?: number;
  rate_limit?: { per?: 'sub' | 'client_id'; requests_per_second: number; burst?: number };
  websocket?: boolean;
}

export interface LimitsConfig {
  max_connections?: number;
  max_connections_per_address?: number;
  first_byte_timeout?: Duration;
  headers_timeout?: Duration;
  idle_timeout?: Duration;
  body_timeout?: Duration;
  body_min_rate?: number;
  buffer_body_bytes?: number;
  upstream_connections?: number;
  route_max_concurrent?: number;
  upstream_queue_timeout?: Duration;
}

export interface GatewayConfig {
  $schema?: string;
  gateway: {
    listen: string;
    admin?: { listen?: string };
    decisions?: { listen: string; trusted_proxies: string[]; url?: string };
    max_body_bytes?: number;
    limits?: LimitsConfig;
    identity_header_prefix?: string;
    trust_forwarded?: boolean;
    token_cache?: { max_entries?: number; max_bytes?: number };
    revocation?: { feed: string };
    redis?: { url: string; key_prefix?: string; on_failure?: 'open' | 'closed'; jwks_cache?: boolean };
    providers: Record<string, ProviderConfig>;
    routes: RouteConfig[];
  };
}
