// The gateway's configuration schema: one source for validation (ajv, which also fills in every
// default given here), the TypeScript types (types.ts), the published JSON schema
// (`schema/jwtgate.schema.json`, for editors via `$schema`) and the generated reference in docs/.
// Defaults live here and nowhere else.
import { ALGORITHMS, type Algorithm } from '@jwtgate/verify';
import { CORS_SCHEMA, ROUTE_CORS_SCHEMA } from './cors-schema.ts';
import { ROUTE_SIGNED_IDENTITY_SCHEMA, SIGNED_IDENTITY_SCHEMA } from './signed-identity-schema.ts';

/** The algorithms the verify core verifies (`none` is not one of them). */
const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as Algorithm[];

const duration = {
  description: 'A duration: milliseconds as a number, or a string such as `250ms`, `5s`, `2m`.',
  oneOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' },
  ],
} as const;

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

const tokenSource = {
  description:
    'Where a token is read: `{ bearer: true }`, `{ header: Token }`, `{ cookie: name }`, or `{ query: access_token }` (opt-in).',
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['bearer'],
      properties: { bearer: { const: true } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['header'],
      properties: { header: { type: 'string', minLength: 1 }, prefix: { type: 'string' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['cookie'],
      properties: { cookie: { type: 'string', minLength: 1 } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['query'],
      properties: { query: { type: 'string', minLength: 1 } },
    },
  ],
} as const;

const provider = {
  type: 'object',
  description:
    'How to verify tokens of one issuer. Keys come from exactly one of `secret`, `keys`, `jwks_uri`; with none, the issuer URL is used for OIDC / RFC 8414 discovery.',
  additionalProperties: false,
  required: ['issuer', 'algorithms', 'audiences'],
  properties: {
    issuer: { type: 'string', minLength: 1, description: 'Exact `iss` of accepted tokens.' },
    jwks_uri: {
      type: 'string',
      minLength: 1,
      description: 'Where the issuer publishes its keys (https, or http on loopback).',
    },
    secret: {
      type: 'string',
      description:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own interpolation syntax
        'Shared HMAC secret (use `${ENV_VAR}`); at least as long as the hash (32 bytes for HS256).',
    },
    keys: {
      type: 'object',
      additionalProperties: false,
      description: 'Static public keys.',
      properties: { jwks_file: { type: 'string', minLength: 1 }, files: stringList },
    },
    algorithms: {
      type: 'array',
      minItems: 1,
      items: { enum: ALGORITHM_NAMES },
      description: 'Allowed algorithms; `none` is never allowed. HS* only with `secret`.',
    },
    audiences: { ...stringList, minItems: 1, description: 'Accepted audiences.' },
    audience_mode: {
      enum: ['any', 'all'],
      default: 'any',
      description: 'The token `aud` must hold any (or all) of `audiences`.',
    },
    token_types: { ...stringList, description: 'Accepted `typ` header values, e.g. `at+jwt` (RFC 9068).' },
    token_from: {
      type: 'array',
      minItems: 1,
      items: tokenSource,
      default: [{ bearer: true }],
      description: 'Where tokens are read.',
    },
    leeway: { ...duration, default: 0, description: 'Clock skew tolerated on exp, nbf and iat.' },
    max_token_age: { ...duration, description: 'Reject tokens whose `iat` is older.' },
    require_sub: { type: 'boolean', default: false },
    required_claims: stringList,
    roles_claim: {
      type: 'string',
      minLength: 1,
      default: 'roles',
      description:
        'Claim path of the roles: `roles`, `realm_access.roles`, `resource_access.app.roles`, `https://example.com/roles`.',
    },
    dpop: {
      enum: ['required', 'optional', 'off'],
      default: 'optional',
      description:
        "DPoP-bound tokens (RFC 9449, `cnf.jkt`): `optional` takes a bound token only as `Authorization: DPoP` with a valid proof for this request, and unbound tokens as Bearer; `required` takes only bound tokens; `off` ignores `cnf.jkt` (a bound token is then a bearer token) and refuses the DPoP scheme. Proofs are checked against the URL the client used: the listener's scheme and the Host header, or with `trust_forwarded` the first X-Forwarded-Proto and X-Forwarded-Host. Proof ids are remembered per process, and in Redis when `redis` is configured (one proof is accepted once by all the gateways sharing it).",
    },
    jwks: {
      type: 'object',
      additionalProperties: false,
      description: 'Remote key fetching.',
      properties: {
        timeout: duration,
        cooldown: {
          ...duration,
          description: 'At most one refetch for unknown `kid`s per cooldown. Default 30s.',
        },
        cache_max_age: {
          ...duration,
          description: 'Key lifetime when the server sends no max-age. Default 10m.',
        },
        max_bytes: { type: 'integer', minimum: 1 },
        allow_http: { type: 'boolean', description: 'Allow plain http to non-loopback hosts.' },
      },
    },
  },
} as const;

const requires = {
  type: 'object',
  description: 'What a route requires: one provider, or `any`/`all` of several, plus roles and scopes.',
  additionalProperties: false,
  allOf: [
    {
      description: 'give exactly one of provider, any, all',
      oneOf: [{ required: ['provider'] }, { required: ['any'] }, { required: ['all'] }],
    },
    {
      // An anonymous request has no roles, scopes or claims to check: it would pass them.
      if: { required: ['optional'], properties: { optional: { const: true } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON schema's if/then, never awaited
      then: {
        description:
          'optional cannot be combined with roles_*, scopes_*, claims or amr_any (a request without a token would pass them)',
        not: {
          anyOf: [
            { required: ['roles_any'] },
            { required: ['roles_all'] },
            { required: ['scopes_any'] },
            { required: ['scopes_all'] },
            { required: ['claims'] },
            { required: ['amr_any'] },
          ],
        },
      },
    },
  ],
  properties: {
    provider: { type: 'string', minLength: 1 },
    any: { ...stringList, minItems: 1, description: 'A token from any one of these providers.' },
    all: { ...stringList, minItems: 1, description: 'A token from each of these providers.' },
    roles_any: stringList,
    roles_all: stringList,
    scopes_any: stringList,
    scopes_all: stringList,
    claims: {
      type: 'object',
      minProperties: 1,
      description:
        'Claim conditions, by claim path (as `roles_claim`): the claim must equal the value, be one of the list, or equal the path parameter `{name}` of `match.path` (e.g. `/tenants/{tenant}/**` with `tenant: "{tenant}"`; the parameter is percent-decoded once and may hold no slash). Only a string, number or boolean claim can match. Otherwise 403 ERR_CLAIM_CONDITION.',
      additionalProperties: {
        oneOf: [
          { type: 'string' },
          { type: 'number' },
          { type: 'boolean' },
          {
            type: 'array',
            minItems: 1,
            items: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
          },
        ],
      },
    },
    optional: {
      type: 'boolean',
      default: false,
      description:
        "A request without any token of the route's providers is forwarded without identity (client copies of identity headers are still removed); a token that is present but invalid is still 401. Not with roles, scopes, claims, amr_any or rate_limit.",
    },
    delegation: {
      type: 'object',
      additionalProperties: false,
      description:
        "What the route accepts of the token's delegation chain (`act`, RFC 8693 4.1; a token from token exchange), besides its provider's own. Refused with 401 ERR_DELEGATION_REQUIRED, ERR_DELEGATION_TOO_DEEP or ERR_ACTOR_NOT_ALLOWED.",
      properties: {
        required: {
          type: 'boolean',
          description:
            "Only tokens obtained on someone's behalf (with `act`): e.g. a service's own tokens are refused.",
        },
        max_depth: {
          type: 'integer',
          minimum: 0,
          description: 'The most actors the chain may name (`act` nesting); 0 refuses every delegated token.',
        },
        actors: {
          ...stringList,
          minItems: 1,
          description:
            'Accepted current actors (the outermost `act.sub`, e.g. the client id of service A); prior actors are informational (RFC 8693 4.1).',
        },
      },
    },
    amr_any: {
      ...stringList,
      minItems: 1,
      description:
        'The user signed in with one of these methods (the token\'s `amr`, RFC 8176: `otp`, `hwk`, `mfa`, ...); otherwise 401 with `error="insufficient_user_authentication"` (RFC 9470).',
    },
  },
} as const;

const route = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'match', 'upstream'],
  // Deny by default: a route is public only when it says so, and then it requires nothing.
  if: { required: ['public'], properties: { public: { const: true } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON schema's if/then/else, never awaited
  then: { description: 'a public route cannot have requires', not: { required: ['requires'] } },
  else: {
    description: 'requires is missing (routes are protected unless public: true)',
    required: ['requires'],
  },
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    match: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: {
          type: 'string',
          pattern: '^/',
          description:
            "Exact path, `*` for one segment, or a trailing `/**` for everything below. The most specific route matching a request wins: the host first, then the path segment by segment (a literal segment before `*`, `*` before `/**`; an exact path before `/**`), then `priority`. A route's `methods` are part of what it matches: a request goes to the most specific route that takes its method, and is answered 405 only when no route for its host and path does.",
        },
        host: {
          type: 'string',
          minLength: 1,
          description:
            'The request host (Host, or `:authority` over HTTP/2; compared in lower case, without the port): exact (`api.example.com`) or a wildcard (`*.example.com`: any name under it, not `example.com` itself). Without it the route matches any host. An exact host is more specific than a wildcard, a wildcard than any host.',
        },
        methods: {
          type: 'array',
          minItems: 1,
          items: { type: 'string', pattern: '^[A-Z]+$' },
          description:
            'Methods the route accepts. Default: any method but `TRACE` (which echoes the request, identity headers included), only accepted where listed. `CONNECT` is never accepted: the gateway does not tunnel.',
        },
      },
    },
    priority: {
      type: 'integer',
      default: 0,
      description:
        'Orders routes that are equally specific for some request (higher first). Two such routes of the same priority that a request could match both of are refused at load, naming both and such a request.',
    },
    public: {
      type: 'boolean',
      description: 'Only `true` makes a route public; otherwise `requires` is mandatory.',
    },
    requires,
    upstream: {
      description:
        'One upstream base URL, or several (round-robin; a failing target is taken out for a while).',
      oneOf: [
        { type: 'string', pattern: '^https?://' },
        { type: 'array', minItems: 1, items: { type: 'string', pattern: '^https?://' } },
      ],
    },
    strip_prefix: { type: 'string', pattern: '^/' },
    identity_headers: {
      type: 'object',
      description: 'Headers set from claims (arrays joined with `,`). Client copies are always removed.',
      additionalProperties: { type: 'string', minLength: 1 },
    },
    forward_token: {
      type: 'boolean',
      default: false,
      description:
        "Pass the client's token on to the upstream. Otherwise it is removed: on a protected route the header, cookie or query parameter its providers read it from; on a public route `Authorization` and every provider's token header, cookie and query parameter.",
    },
    strip_headers: {
      ...stringList,
      description:
        'Request headers removed on this route as well as the ones always removed (see docs/security-model.md), e.g. `[X-Debug, X-Internal-Token]`.',
    },
    method_override: {
      enum: ['refuse', 'strip', 'allow'],
      default: 'refuse',
      description:
        "Requests that ask for another method than the one sent (`X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`, `_method` in the query, or a `_method` field in a form body) reach Rails, Laravel, Symfony or Express's method-override as that method, past the rules of the route that matched: `refuse` answers 400 ERR_METHOD_OVERRIDE; `strip` removes the headers and the query parameter, and still refuses a body field (a body is never rewritten); `allow` forwards them, and is accepted only on a route without `methods` (one that takes every method, so no other route's rules can be escaped), e.g. for a Rails app's HTML forms.",
    },
    max_concurrent: {
      type: 'integer',
      minimum: 1,
      description:
        'At most this many requests of this route at the upstream at once (default `limits.route_max_concurrent`); more wait for `limits.upstream_queue_timeout`, then 503 ERR_UPSTREAM_BUSY.',
    },
    timeout: { ...duration, default: '30s', description: 'Upstream response deadline.' },
    max_body_bytes: { type: 'integer', minimum: 0, description: 'Request body limit; default from gateway.' },
    rate_limit: {
      type: 'object',
      additionalProperties: false,
      required: ['requests_per_second'],
      properties: {
        per: { enum: ['sub', 'client_id'], default: 'sub' },
        requests_per_second: { type: 'number', exclusiveMinimum: 0 },
        burst: { type: 'integer', minimum: 1 },
      },
    },
    websocket: { type: 'boolean', default: false, description: 'Forward WebSocket upgrades.' },
    client_certificate: {
      type: 'object',
      additionalProperties: false,
      description:
        'Requires a client certificate verified by `gateway.tls.client_certificates` (mTLS); without one the request is refused with 401 ERR_CLIENT_CERT_REQUIRED, with a subject not listed 403 ERR_CLIENT_CERT_REFUSED. Works on public routes too (the certificate is then the only credential).',
      properties: {
        subjects: {
          ...stringList,
          minItems: 1,
          description:
            'Accepted subjects, as the certificate names them in RFC 4514 order-free form `CN=svc-a,O=Example` (every attribute given must match), or just `svc-a` for the common name. Default: any verified certificate.',
        },
        header: {
          type: 'string',
          minLength: 1,
          description:
            "Send the verified subject (`CN=svc-a,O=Example`) to the upstream in this header; a client's copy is always removed.",
        },
      },
    },
    upstream_tls: {
      type: 'object',
      additionalProperties: false,
      description:
        '`https://` upstreams of this route: verified against the system CAs unless `ca` is given, with SNI from the URL host unless `server_name` is given.',
      properties: {
        ca: {
          type: 'string',
          minLength: 1,
          description: 'PEM file of the CAs the upstream certificate must chain to.',
        },
        cert: {
          type: 'string',
          minLength: 1,
          description: 'PEM client certificate for mTLS to the upstream (with `key`).',
        },
        key: { type: 'string', minLength: 1, description: 'PEM private key of `cert`.' },
        server_name: {
          type: 'string',
          minLength: 1,
          description: 'SNI name and the name the certificate must carry.',
        },
      },
    },
    cors: ROUTE_CORS_SCHEMA,
    signed_identity: ROUTE_SIGNED_IDENTITY_SCHEMA,
  },
} as const;

const tls = {
  type: 'object',
  additionalProperties: false,
  required: ['certificates'],
  description:
    'TLS on `listen` (HTTPS, and HTTP/2 by ALPN on the same port). Certificate files are read at load, re-read when they change on disk or on SIGHUP (new handshakes get the new certificate, open connections keep theirs); a reload with a bad file keeps the running certificates and logs the error. Without `tls` the listener speaks plain HTTP/1.1.',
  properties: {
    certificates: {
      type: 'array',
      minItems: 1,
      description:
        'Certificates chosen by SNI: the names of each are its subjectAltName DNS names (or `names`), exact or `*.example.com` (one label). A handshake without SNI, or with a name none carries, gets the first.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['cert', 'key'],
        properties: {
          cert: {
            type: 'string',
            minLength: 1,
            description: 'PEM file: the certificate, then its intermediates.',
          },
          key: { type: 'string', minLength: 1, description: 'PEM file: its private key.' },
          names: { ...stringList, minItems: 1, description: 'Serve it for these names instead of its own.' },
        },
      },
    },
    min_version: {
      enum: ['TLSv1.2', 'TLSv1.3'],
      default: 'TLSv1.2',
      description: 'The oldest TLS version accepted.',
    },
    http2: {
      type: 'boolean',
      default: true,
      description: 'Offer HTTP/2 by ALPN (`h2`) beside HTTP/1.1.',
    },
    client_certificates: {
      type: 'object',
      additionalProperties: false,
      required: ['ca'],
      description:
        "Ask clients for a certificate (mTLS). Its verified subject is what routes' `client_certificate` checks. A change of `mode` takes effect on restart; the CA file reloads like the certificates.",
      properties: {
        ca: {
          type: 'string',
          minLength: 1,
          description: 'PEM file of the CAs client certificates must chain to.',
        },
        mode: {
          enum: ['required', 'optional'],
          default: 'optional',
          description:
            '`required`: a handshake without a valid client certificate fails. `optional`: it goes on, and only routes with `client_certificate` refuse it.',
        },
      },
    },
  },
} as const;

const limits = {
  type: 'object',
  additionalProperties: false,
  description:
    'What one client may hold. Each limit reached is counted in `jwtgate_limit_reached_total{limit}`; what the client sees is in docs/security-model.md.',
  properties: {
    max_connections: {
      type: 'integer',
      minimum: 1,
      default: 20000,
      description:
        "Client connections at once; further ones are closed at once. Kept under the process's open-file limit (RLIMIT_NOFILE), leaving room for upstream sockets and files: the value in force is in the `gateway ready` log line and `jwtgate_max_connections`.",
    },
    max_connections_per_address: {
      type: 'integer',
      minimum: 0,
      default: 256,
      description:
        'Client connections at once from one address (IPv6: one /64); further ones are closed at once. 0 turns it off (behind a proxy or load balancer every connection has its address).',
    },
    first_byte_timeout: {
      ...duration,
      default: '10s',
      description: 'A new connection that sends nothing for this long is closed.',
    },
    headers_timeout: {
      ...duration,
      default: '30s',
      description: 'Time to receive the request line and headers; then 408 and the connection closed.',
    },
    idle_timeout: {
      ...duration,
      default: '120s',
      description: 'A connection with no traffic either way for this long is closed.',
    },
    body_timeout: {
      ...duration,
      default: '20s',
      description:
        "A request body must be complete within this time plus one second for every `body_min_rate` bytes received (Apache mod_reqtimeout's rule); then 408 ERR_BODY_TIMEOUT and the connection closed.",
    },
    body_min_rate: {
      type: 'integer',
      minimum: 1,
      default: 500,
      description: 'Bytes per second a request body must keep up, after `body_timeout`.',
    },
    buffer_body_bytes: {
      type: 'integer',
      minimum: 0,
      default: 65536,
      description:
        'A request body is read up to this size before an upstream connection is taken: a smaller body is sent whole, a larger one streamed after it. So a slow client holds no upstream connection until it has sent this much. 0 streams every body at once.',
    },
    upstream_connections: {
      type: 'integer',
      minimum: 1,
      default: 256,
      description: 'Connections to each upstream origin, shared by every route to it.',
    },
    route_max_concurrent: {
      type: 'integer',
      minimum: 1,
      default: 128,
      description:
        "Requests of one route at its upstream at once (a route's `max_concurrent` overrides it): one route cannot take every connection of an origin another route shares.",
    },
    http2_max_concurrent_streams: {
      type: 'integer',
      minimum: 1,
      default: 100,
      description:
        'HTTP/2: streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused (REFUSED_STREAM).',
    },
    http2_max_header_list_size: {
      type: 'integer',
      minimum: 1024,
      default: 16384,
      description:
        'HTTP/2: the decoded size of one header block (RFC 9113 SETTINGS_MAX_HEADER_LIST_SIZE, as HTTP/1.1 has 16 KiB); a larger one, however well it compresses, resets the stream.',
    },
    http2_max_resets: {
      type: 'integer',
      minimum: 1,
      default: 200,
      description:
        'HTTP/2: streams a client may cancel (RST_STREAM) on one connection within 10 s ("rapid reset"); one more and the connection gets GOAWAY (ENHANCE_YOUR_CALM) and is closed.',
    },
    http2_max_session_memory: {
      type: 'integer',
      minimum: 1,
      default: 10,
      description:
        'HTTP/2: MiB one connection may hold in header tables and queued frames; past it new streams are refused and the connection closed.',
    },
    upstream_queue_timeout: {
      ...duration,
      default: '5s',
      description:
        "How long a request waits for a free upstream connection (or a place under its route's `max_concurrent`); then 503 ERR_UPSTREAM_BUSY with `Retry-After`. Waiting requests of different routes are served in turn.",
    },
  },
} as const;

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'jwtgate configuration',
  type: 'object',
  additionalProperties: false,
  required: ['gateway'],
  properties: {
    $schema: { type: 'string' },
    gateway: {
      type: 'object',
      additionalProperties: false,
      required: ['listen', 'providers', 'routes'],
      properties: {
        listen: {
          type: 'string',
          pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
          description: 'host:port',
        },
        admin: {
          type: 'object',
          additionalProperties: false,
          properties: {
            listen: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$' },
          },
          description: 'Operations listener: /healthz, /readyz, /metrics, /revocations.',
        },
        tls,
        decisions: {
          type: 'object',
          additionalProperties: false,
          required: ['listen', 'trusted_proxies'],
          properties: {
            listen: {
              type: 'string',
              pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
              description: 'host:port of the decision listener.',
            },
            trusted_proxies: {
              type: 'array',
              minItems: 1,
              items: { type: 'string', pattern: '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$' },
              description:
                'Addresses (CIDRs, e.g. `127.0.0.1/32`, `10.0.0.0/8`, `::1/128`) of the proxies allowed to ask. A request from any other address is refused (403 ERR_DECISION_UNTRUSTED): the describing headers say which request is decided, and only a proxy may say that.',
            },
            url: {
              type: 'string',
              pattern: '^https?://',
              description:
                'The decision listener as the proxies reach it (e.g. `http://jwtgate:9902`), for `jwtgate integrate`. Default: `http://` + `listen`.',
            },
          },
          description:
            'Forward-auth decisions for a proxy in front (nginx `auth_request`, Traefik `ForwardAuth`, Caddy `forward_auth`, Envoy `ext_authz`, ingress-nginx `auth-url`): the routes and rules of this file decide the request the proxy describes, and the answer is 200 with the identity headers, or the 401/403 the client gets. See docs/decisions.md.',
        },
        max_body_bytes: {
          type: 'integer',
          minimum: 0,
          default: 10485760,
          description: 'Default request body limit.',
        },
        limits: { ...limits, default: {} },
        identity_header_prefix: {
          type: 'string',
          minLength: 1,
          default: 'x-jwtgate-',
          description: 'Reserved prefix: client headers under it are always removed.',
        },
        trust_forwarded: {
          type: 'boolean',
          default: false,
          description: 'Keep client X-Forwarded-* (behind another proxy).',
        },
        token_cache: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            max_entries: { type: 'integer', minimum: 0, default: 10000 },
            max_bytes: { type: 'integer', minimum: 0, default: 33554432 },
          },
          description: 'Verified-token cache; `max_entries: 0` turns it off.',
        },
        revocation: {
          type: 'object',
          additionalProperties: false,
          required: ['feed'],
          properties: {
            feed: {
              type: 'string',
              pattern: '^https?://',
              description:
                'Base URL of a jwtgate issuer. The gateway follows its revocation feed (`/revocations/stream`, Server-Sent Events) and denies each revoked token id within a second; https, or http on loopback.',
            },
          },
          description:
            "Follow an issuer's revocation list, in addition to `POST /revocations` on the admin listener.",
        },
        redis: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: {
              type: 'string',
              pattern: '^rediss?://',
              description: 'Redis server, e.g. `redis://127.0.0.1:6379` (`rediss://` for TLS).',
            },
            key_prefix: {
              type: 'string',
              minLength: 1,
              default: 'jwtgate:',
              description: 'Prefix of every key and channel the gateway uses.',
            },
            on_failure: {
              enum: ['open', 'closed'],
              default: 'open',
              description:
                'Redis unreachable: `open` keeps serving with the revocations already known and local rate-limit buckets; `closed` answers 503 on authenticated routes until Redis is back.',
            },
            jwks_cache: {
              type: 'boolean',
              default: false,
              description:
                "Share fetched JWKS and discovery documents between replicas: one replica fetches, the others read the copy stored under `<key_prefix>jwks:<sha256 of the URL>` for the response's max-age (between 1 s and 5 min; 1 min without one). Only 200 responses that are JSON within 256 KiB are stored, never with `no-store`. Redis down or slower than 200 ms: the gateway fetches itself. Whoever can write to this Redis can make every replica trust their keys.",
            },
          },
          description:
            'Share state between gateway replicas: revocations (pub/sub, caught up on reconnect) and rate-limit buckets. Changes take effect on restart.',
        },
        cors: CORS_SCHEMA,
        signed_identity: SIGNED_IDENTITY_SCHEMA,
        providers: { type: 'object', minProperties: 1, additionalProperties: provider },
        routes: { type: 'array', minItems: 1, items: route },
      },
    },
  },
} as const;
