// The configuration's types, derived from CONFIG_SCHEMA (schema-types.ts says how): `GatewayConfig`
// as validated, every default filled in; `GatewayConfigInput` as a file (or a test) writes it.

import type { CONFIG_SCHEMA } from './schema.ts';
import type { FromSchema } from './schema-types.ts';

export type GatewayConfig = FromSchema<typeof CONFIG_SCHEMA>;
export type GatewaySection = GatewayConfig['gateway'];
export type ProviderConfig = GatewaySection['providers'][string];
export type RouteConfig = GatewaySection['routes'][number];
export type RequiresConfig = NonNullable<RouteConfig['requires']>;
export type LimitsConfig = GatewaySection['limits'];
export type TokenSourceConfig = NonNullable<ProviderConfig['token_from']>[number];
export type Duration = NonNullable<ProviderConfig['leeway']>;
/** A CORS block as a route writes it (the gateway's has allow_credentials filled in). */
export type CorsConfig = Exclude<NonNullable<RouteConfig['cors']>, false>;

export type GatewayConfigInput = FromSchema<typeof CONFIG_SCHEMA, 'input'>;
export type ProviderInput = GatewayConfigInput['gateway']['providers'][string];
export type RouteInput = GatewayConfigInput['gateway']['routes'][number];
