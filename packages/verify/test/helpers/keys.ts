// Test fixtures: keys are generated in the test process, never committed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export const SECRET = 'a-test-secret-that-is-long-enough-for-hs512-0123456789abcdef-0123456789';
export const secretBytes = (secret = SECRET) => new TextEncoder().encode(secret);

export interface TestKeyPair {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** Generates an extractable key pair for `alg`, with its public JWK carrying `kid` and `alg`. */
export async function makeKeyPair(
  alg: string,
  kid = `${alg.toLowerCase()}-key`,
  extra: object = {},
): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...extra });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg };
  return { alg, kid, privateKey, publicKey, publicJwk };
}

/** A fixed clock for tests: seconds and milliseconds agree. */
export const NOW_SECONDS = 1_800_000_000;
export const NOW_MS = NOW_SECONDS * 1000;

/** Signs a JWT with jose; the defaults produce a token valid at NOW_SECONDS. */
export async function signToken(
  key: CryptoKey | Uint8Array,
  options: {
    alg: string;
    kid?: string;
    typ?: string;
    header?: Record<string, unknown>;
    claims?: JWTPayload;
    iss?: string;
    aud?: string | string[];
    exp?: number | null;
  },
): Promise<string> {
  const claims: JWTPayload = {
    iss: options.iss ?? 'https://issuer.test',
    aud: options.aud ?? 'api://test',
    iat: NOW_SECONDS - 10,
    ...(options.exp === null ? {} : { exp: options.exp ?? NOW_SECONDS + 300 }),
    ...options.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({
      alg: options.alg,
      ...(options.kid ? { kid: options.kid } : {}),
      ...(options.typ ? { typ: options.typ } : {}),
      ...options.header,
    })
    .sign(key);
}

/** base64url of a JSON value or string, for hand-built (often malicious) tokens. */
export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A canned HTTP answer of a test server. A body that is not a string or Buffer is sent as JSON. */
export interface ServedResponse {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A route answers with a canned response, or handles the request itself (return nothing to do so). */
export type Route =
  | ServedResponse
  | ((req: IncomingMessage, res: ServerResponse) => ServedResponse | undefined);

/** A local HTTP server on 127.0.0.1 (random port) that records every request path. */
export interface TestServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly origin: string;
  /** Routes by pathname; change them while the server runs. Unrouted paths answer 404. */
  readonly routes: Map<string, Route>;
  /** Pathname of every request received, in order. */
  readonly requests: string[];
  /** Requests received for one pathname. */
  count(path: string): number;
  /** Drops open connections (including ones a route never answered) and stops listening. */
  close(): Promise<void>;
}

function send(res: ServerResponse, reply: ServedResponse): void {
  const raw = reply.body;
  const isRaw = typeof raw === 'string' || Buffer.isBuffer(raw);
  const body = raw === undefined ? '' : isRaw ? raw : JSON.stringify(raw);
  res.writeHead(reply.status ?? 200, {
    ...(isRaw || raw === undefined ? {} : { 'content-type': 'application/json' }),
    ...reply.headers,
  });
  res.end(body);
}

/** Starts a TestServer listening on 127.0.0.1 port 0. Close it in `after`. */
export async function startTestServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const table = new Map<string, Route>(Object.entries(routes));
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push(path);
    const route = table.get(path);
    if (route === undefined) return send(res, { status: 404, body: { error: 'not found' } });
    const reply = typeof route === 'function' ? route(req, res) : route;
    if (reply !== undefined) send(res, reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    routes: table,
    requests,
    count: (path) => requests.filter((p) => p === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TestServer publishing a JWKS at `/jwks`. */
export interface JwksServer extends TestServer {
  /** `http://127.0.0.1:PORT/jwks`. */
  readonly jwksUri: string;
  /** What GET /jwks answers: assign `{ body: { keys } }` to rotate keys, `{ status: 500 }` to fail. */
  jwks: ServedResponse;
  /** Requests received for /jwks so far. */
  readonly jwksRequests: number;
}

/** Starts a JwksServer publishing `keys` (public JWKs), with optional response headers. */
export async function startJwksServer(
  keys: readonly JWK[],
  headers: Readonly<Record<string, string>> = {},
): Promise<JwksServer> {
  const server = await startTestServer();
  let reply: ServedResponse = { body: { keys }, headers };
  server.routes.set('/jwks', () => reply);
  return {
    ...server,
    jwksUri: `${server.origin}/jwks`,
    get jwks() {
      return reply;
    },
    set jwks(value: ServedResponse) {
      reply = value;
    },
    get jwksRequests() {
      return server.count('/jwks');
    },
  };
}
