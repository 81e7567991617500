// `gateway.signed_identity` (the gateway's signing keys) and `routes[].signed_identity` (a token
// of the gateway's own for that route's upstream). docs/gateway.md says how a service checks it.

export const SIGNED_IDENTITY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['state_dir', 'issuer'],
  description:
    "The gateway's keys for signed identity tokens: generated on first start, kept as files in `state_dir`, rotated, published as a JWKS at `/.well-known/jwks.json` on the admin listener.",
  properties: {
    state_dir: {
      type: 'string',
      minLength: 1,
      description:
        'Directory of the private keys (`signing-keys/`, mode 0700; each key file 0600). Shared by every worker of one gateway; give each replica the same directory (or volume) so they publish the same keys.',
    },
    issuer: {
      type: 'string',
      minLength: 1,
      description:
        '`iss` of the tokens, e.g. `https://gateway.example.com` (what services configure as the issuer).',
    },
    algorithm: {
      enum: ['ES256', 'EdDSA'],
      default: 'ES256',
      description: 'Signing algorithm (EdDSA: Ed25519).',
    },
    rotate_after: {
      description:
        'A key signs for this long, then the next one takes over; the old one stays published until its last token has expired (its period plus one hour, the longest `lifetime`).',
      default: '24h',
      oneOf: [
        { type: 'integer', minimum: 60000 },
        { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' },
      ],
    },
    cache_max_entries: {
      type: 'integer',
      minimum: 1,
      default: 10000,
      description: 'Minted tokens kept for reuse per route (one per client token); the oldest goes first.',
    },
  },
} as const;

export const ROUTE_SIGNED_IDENTITY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  description:
    "Send the upstream a short-lived JWT of the gateway's own (needs `gateway.signed_identity` and an authenticated route): `sub`, `roles`, `scope`, `client_id`, `orig_iss` (the client token's issuer), `act` when delegated; `typ` `jwtgate-identity+jwt`. Minted once per client token and reused until shortly before it expires, never past the client token's `exp`.",
  properties: {
    header: {
      type: 'string',
      minLength: 1,
      default: 'X-Jwtgate-Identity',
      description: 'Request header that carries it (client copies are always removed).',
    },
    audience: { type: 'string', minLength: 1, description: "`aud` of the token. Default: the route's name." },
    lifetime: {
      description: 'How long each token is valid: at most 1h. Default 60s.',
      default: '60s',
      oneOf: [
        { type: 'integer', minimum: 1000, maximum: 3600000 },
        { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' },
      ],
    },
  },
} as const;
