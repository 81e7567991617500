// The `cors` block, gateway-wide (`gateway.cors`) or per route (`routes[].cors`, `false` to turn
// the gateway-wide one off there).

const names = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

export const CORS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['allow_origins'],
  description:
    "Cross-origin requests from browsers (docs/gateway.md). The gateway answers preflights itself, before authentication, and sets the CORS headers of every answer of the route (the upstream's own `Access-Control-*` headers are replaced). An origin not allowed gets no CORS headers.",
  properties: {
    allow_origins: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description:
        'Exact origins (`https://app.example.com`, `http://localhost:5173`), patterns with a leading `*.` label anchored to a scheme and host (`https://*.example.com` matches `https://a.example.com` and `https://a.b.example.com`, never `https://example.com` or `http://a.example.com`), or `*` alone for any origin (not with `allow_credentials`).',
    },
    allow_methods: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[A-Z]+$' },
      description:
        "Methods a preflight may ask for. Default: the route's `match.methods`, else GET, HEAD, POST, PUT, PATCH, DELETE.",
    },
    allow_headers: {
      ...names,
      description:
        "Request headers a preflight may ask for, besides the CORS-safelisted ones; `*` for any (not with `allow_credentials`). Default: `Authorization`, `Content-Type` and the header of each of the route's providers' `token_from`.",
    },
    expose_headers: {
      ...names,
      description:
        'Response headers the page may read, besides the safelisted ones (`Access-Control-Expose-Headers`).',
    },
    allow_credentials: {
      type: 'boolean',
      default: false,
      description:
        'Answer `Access-Control-Allow-Credentials: true`: the page may send cookies and read the answer.',
    },
    max_age: {
      description:
        'How long a browser may reuse a preflight answer (`Access-Control-Max-Age`; Chromium keeps at most 2h). Default: not sent (5 s in browsers).',
      oneOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' },
      ],
    },
  },
} as const;

// ajv fills in no default under oneOf (strict mode refuses one there): the route's block is the
// same without them, and compileCors reads an absent allow_credentials as false.
const { allow_credentials: _credentials, ...withoutDefaults } = CORS_SCHEMA.properties;

export const ROUTE_CORS_SCHEMA = {
  description:
    "This route's CORS (replacing `gateway.cors`; the same keys), or `false` for none on this route.",
  oneOf: [
    { const: false },
    {
      ...CORS_SCHEMA,
      properties: {
        ...withoutDefaults,
        allow_credentials: {
          type: 'boolean',
          description: CORS_SCHEMA.properties.allow_credentials.description,
        },
      },
    },
  ],
} as const;
