// Shared pieces of the gateway end-to-end tests: free ports, a JWKS server, echo upstreams,
// tokens, the example config rewritten to free ports, and the `jwtgate gateway` process itself.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  makeKeyPair,
  SECRET,
  secretBytes,
  signToken,
  type TestKeyPair,
} from '../../../verify/test/helpers/keys.ts';

export const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
export const EXAMPLE = new URL('../../../../examples/gateway/jwtgate.yaml', import.meta.url).pathname;

export const ISSUER = 'https://issuer.example';
export const AUDIENCE = 'api://gateway';
export { SECRET };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A server on 127.0.0.1 that drops every connection (even unanswered ones) when closed. */
export interface Running {
  readonly port: number;
  readonly origin: string;
  close(): Promise<void>;
}

async function listenOn(server: Server, port = 0): Promise<Running> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    origin: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---- keys and tokens -------------------------------------------------------------------------

export interface CorpKeys {
  readonly rs: TestKeyPair;
  readonly es: TestKeyPair;
  readonly ed: TestKeyPair;
  /** Not published: same kid as `rs`, so its signatures are checked against the wrong key. */
  readonly impostor: TestKeyPair;
}

export async function makeCorpKeys(): Promise<CorpKeys> {
  const [rs, es, ed] = await Promise.all([
    makeKeyPair('RS256', 'corp-rs'),
    makeKeyPair('ES256', 'corp-es'),
    makeKeyPair('EdDSA', 'corp-ed'),
  ]);
  const impostor = await makeKeyPair('RS256', 'corp-rs');
  return { rs, es, ed, impostor };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

let jtiCounter = 0;

/** A corp access token (typ at+jwt, issuer and audience of the example config), valid for 5 minutes. */
export function corpToken(
  key: TestKeyPair,
  options: {
    sub?: string;
    roles?: string[];
    jti?: string;
    aud?: string;
    typ?: string;
    exp?: number;
  } = {},
): Promise<string> {
  const now = nowSeconds();
  return signToken(key.privateKey, {
    alg: key.alg,
    kid: key.kid,
    typ: options.typ ?? 'at+jwt',
    iss: ISSUER,
    aud: options.aud ?? AUDIENCE,
    exp: options.exp ?? now + 300,
    claims: {
      iat: now,
      sub: options.sub ?? 'user-1',
      roles: options.roles ?? ['billing'],
      jti: options.jti ?? `jti-${process.pid}-${++jtiCounter}`,
    },
  });
}

/** A token of the tutorial provider (HS256 with SECRET_KEY). */
export function tutorialToken(sub = 'tutorial-user'): Promise<string> {
  const now = nowSeconds();
  return signToken(secretBytes(SECRET), {
    alg: 'HS256',
    iss: 'jwtgo.io',
    aud: 'billing.jwtgo.io',
    exp: now + 300,
    claims: { iat: now, sub, authorized: true },
  });
}

/**
 * Serves the public keys at /jwks.json (as the example's jwks_uri) on `port` (0: any free port),
 * each answer after `delayMs` (a remote identity provider is not instant).
 */
export async function startJwks(
  keys: CorpKeys,
  port = 0,
  delayMs = 0,
): Promise<Running & { readonly hits: number }> {
  let hits = 0;
  const body = JSON.stringify({ keys: [keys.rs.publicJwk, keys.es.publicJwk, keys.ed.publicJwk] });
  const server = createServer(async (req, res) => {
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    hits++;
    if (delayMs > 0) await sleep(delayMs);
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  const running = await listenOn(server, port);
  return {
    ...running,
    get hits() {
      return hits;
    },
  };
}

/** A gateway provider (config, as YAML would give it) for the tokens of a `jwtgate issuer` at `issuerUrl`. */
export function issuerProvider(issuerUrl: string, audience: string): Record<string, unknown> {
  return {
    issuer: issuerUrl,
    jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
    algorithms: ['ES256'],
    audiences: [audience],
    token_types: ['at+jwt'],
  };
}

// ---- upstreams -------------------------------------------------------------------------------

export const CHUNK = 64 * 1024;
/** 50 MiB in 64 KiB chunks. */
export const BIG_CHUNKS = 800;
export const BIG_BYTES = CHUNK * BIG_CHUNKS;

/** Chunk `i` of a deterministic stream, generated on the fly (never the whole stream in memory). */
export function chunkAt(i: number): Buffer {
  const b = Buffer.alloc(CHUNK, i % 251);
  b.writeUInt32BE(i, 0);
  return b;
}

export function bigStreamSha256(chunks = BIG_CHUNKS): string {
  const h = createHash('sha256');
  for (let i = 0; i < chunks; i++) h.update(chunkAt(i));
  return h.digest('hex');
}

/** Writes the deterministic stream (50 MiB by default) with backpressure, counting bytes in `progress`. */
export async function writeBig(
  out: NodeJS.WritableStream,
  progress: { bytes: number } = { bytes: 0 },
  chunks = BIG_CHUNKS,
): Promise<void> {
  for (let i = 0; i < chunks; i++) {
    const chunk = chunkAt(i);
    const more = out.write(chunk);
    progress.bytes += chunk.length;
    if (!more) await new Promise((r) => out.once('drain', r));
  }
}

export interface EchoRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Upstream extends Running {
  /** Every echoed request, in order. */
  readonly seen: EchoRequest[];
  /** Bytes of the current or last `download` written so far (into the socket, with backpressure). */
  readonly downloaded: { bytes: number };
  /** `hang` requests received, and those whose connection was closed (by the gateway). */
  readonly hanging: { open: number; closed: number };
  /** Makes `upload` wait before reading any of the body until the returned function is called. */
  holdUploads(): () => void;
}

/**
 * An upstream answering by the last path segment: `slow` after 500 ms, `hang` never, `hop` with
 * hop-by-hop response headers, `download` 50 MiB (or `?chunks=N` of 64 KiB), `upload` the size and sha256 of the body
 * (see `holdUploads`), and anything else a JSON echo of method,
 * url, headers and body.
 */
export async function startUpstream(name: string): Promise<Upstream> {
  const seen: EchoRequest[] = [];
  const downloaded = { bytes: 0 };
  const hanging = { open: 0, closed: 0 };
  let uploadGate: Promise<void> = Promise.resolve();
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const last = path.split('/').pop();
    if (last === 'hang') {
      // Never answers; counts the requests whose connection the gateway closed.
      hanging.open++;
      res.once('close', () => hanging.closed++);
      return;
    }
    if (last === 'download') {
      const chunks = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('chunks') ?? BIG_CHUNKS);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(chunks * CHUNK),
      });
      downloaded.bytes = 0;
      await writeBig(res, downloaded, chunks);
      return void res.end();
    }
    if (last === 'upload') {
      await uploadGate;
      const h = createHash('sha256');
      let bytes = 0;
      for await (const c of req) {
        bytes += (c as Buffer).length;
        h.update(c as Buffer);
      }
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ bytes, sha256: h.digest('hex') }));
    }
    let body = '';
    for await (const c of req) body += c;
    const echo: EchoRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
    seen.push(echo);
    if (last === 'slow') await sleep(500);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-upstream': name };
    if (last === 'hop') {
      headers.connection = 'X-Up-Hop';
      headers['x-up-hop'] = '1';
      headers['x-up-kept'] = '1';
    }
    res.writeHead(200, headers).end(JSON.stringify(echo));
  });
  const running = await listenOn(server);
  return {
    ...running,
    seen,
    downloaded,
    hanging,
    holdUploads() {
      let release = () => {};
      uploadGate = new Promise<void>((r) => {
        release = r;
      });
      return () => {
        release();
        uploadGate = Promise.resolve();
      };
    },
  };
}

/** A `ws` echo server; `headers` holds each upgrade request's headers. */
export async function startWsUpstream(): Promise<Running & { readonly headers: IncomingHttpHeaders[] }> {
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    headers.push(req.headers);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const running = await listenOn(server);
  return {
    ...running,
    headers,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await running.close();
    },
  };
}

// ---- HTTP client -----------------------------------------------------------------------------

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * One request on a fresh connection with exactly the headers given (node:http, so hop-by-hop
 * headers fetch would refuse can be sent). `body` may be a string or a stream (sent chunked).
 */
export function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer | Readable;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false });
    req.on('error', reject);
    req.on('response', async (res) => {
      try {
        let body = '';
        for await (const c of res) body += c;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: <T>() => JSON.parse(body) as T,
        });
      } catch (err) {
        reject(err);
      }
    });
    const b = options.body;
    if (b === undefined || typeof b === 'string' || Buffer.isBuffer(b)) req.end(b);
    else b.pipe(req);
  });
}

// ---- configuration ---------------------------------------------------------------------------

export interface ExamplePorts {
  readonly gateway: number;
  readonly upstream1: number;
  readonly upstream2: number;
  readonly jwks: number;
  readonly admin?: number;
}

/**
 * The example config exactly as written, with 9001/7001/7002/7777 replaced by the given ports,
 * optionally an admin listener, and extra route items appended to `routes` (YAML, 4-space items).
 */
export function exampleConfig(ports: ExamplePorts, extraRoutes = ''): string {
  let text = readFileSync(EXAMPLE, 'utf8');
  const swap = (from: number, to: number) => {
    const needle = `127.0.0.1:${from}`;
    assert.ok(text.includes(needle), `the example config uses ${needle}`);
    text = text.replaceAll(needle, `127.0.0.1:${to}`);
  };
  swap(9001, ports.gateway);
  swap(7001, ports.upstream1);
  swap(7002, ports.upstream2);
  swap(7777, ports.jwks);
  if (ports.admin !== undefined) {
    const listen = `  listen: 127.0.0.1:${ports.gateway}\n`;
    assert.ok(text.includes(listen));
    text = text.replace(listen, `${listen}  admin: { listen: 127.0.0.1:${ports.admin} }\n`);
  }
  if (!text.endsWith('\n')) text += '\n';
  return text + extraRoutes;
}

/** A temporary directory removed by `cleanup()`. */
export function tempDir(): {
  readonly dir: string;
  write(name: string, text: string): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'jwtgate-e2e-'));
  return {
    dir,
    write(name, text) {
      // Written aside and renamed, as deployment tools do: a reload never reads a half-written
      // file (one that did is refused and the running configuration kept, which a test counting
      // reloads would take for a lost reload).
      const file = join(dir, name);
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---- the gateway process ---------------------------------------------------------------------

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Parsed JSON lines of stdout. */
  logs(): Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  /** Resolves once `test` matches the output (rejects on exit or after `timeoutMs`). */
  waitFor(test: RegExp | ((output: string) => boolean), timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL if still running after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** A command that runs the gateway, e.g. `['prlimit', '--nofile=512:512']`. */
  prefix?: string[];
}

export function spawnGateway(configFile: string, options: SpawnOptions = {}): GatewayProcess {
  const argv = ['--conditions=jwtgate-source', CLI, 'gateway', '-c', configFile, ...(options.args ?? [])];
  const [command, ...before] = [...(options.prefix ?? []), process.execPath];
  const child = spawn(command as string, [...before, ...argv], {
    env: { ...process.env, SECRET_KEY: SECRET, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (c, signal) => {
      code = c ?? (signal ? -1 : null);
      resolve(code);
    }),
  );
  const proc: GatewayProcess = {
    child,
    pid: child.pid as number,
    output: () => output,
    logs: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
    async waitFor(test, timeoutMs = 15_000) {
      const ok = () => (typeof test === 'function' ? test(output) : test.test(output));
      const deadline = Date.now() + timeoutMs;
      while (!ok()) {
        if (code !== undefined) throw new Error(`gateway exited with ${code}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${test}:\n${output}`);
        await sleep(20);
      }
    },
    async stop() {
      if (code !== undefined) return code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const c = await exited;
      clearTimeout(timer);
      return c;
    },
  };
  return proc;
}

/** Spawns the gateway and waits for its "gateway ready" log line (stopping it if that never comes). */
export async function startGateway(configFile: string, options: SpawnOptions = {}): Promise<GatewayProcess> {
  const g = spawnGateway(configFile, options);
  try {
    await g.waitFor(/"msg":"gateway ready"/);
  } catch (err) {
    await g.stop();
    throw err;
  }
  return g;
}

/** VmRSS of a process in bytes (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  assert.ok(m, 'VmRSS in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

/** Polls `url` until it answers `status` (or throws after `timeoutMs`). */
export async function waitForStatus(url: string, status: number, timeoutMs = 10_000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  let last: Reply | Error | undefined;
  while (Date.now() < deadline) {
    try {
      last = await send(url);
      if (last.status === status) return last;
    } catch (err) {
      last = err as Error;
    }
    await sleep(100);
  }
  throw new Error(
    `${url} did not answer ${status}; last: ${last instanceof Error ? last.message : `${last?.status} ${last?.body}`}`,
  );
}

// ---- raw sockets -----------------------------------------------------------------------------

/**
 * Writes `text` as is on a fresh connection (from `localAddress`, e.g. 127.0.0.2, when given) and
 * resolves with everything the server sent until it closed, or until `timeoutMs`.
 */
export function rawRequest(
  port: number,
  text: string | Buffer,
  options: { localAddress?: string; timeoutMs?: number } = {},
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress }, () =>
      socket.write(text),
    );
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: out, closed: false });
    }, options.timeoutMs ?? 5000);
    socket.on('data', (d) => {
      out += d;
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (out === '' && (err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
      else resolve({ text: out, closed: true });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: out, closed: true });
    });
  });
}

/** The status code of a raw HTTP response, or 0. */
export function rawStatus(text: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
}
