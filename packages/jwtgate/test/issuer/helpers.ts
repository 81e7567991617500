// Shared pieces of the issuer tests: temporary SQLite stores, an in-process issuer on a real
// 127.0.0.1 port, the `jwtgate issuer` process, clients and token requests over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import pino from 'pino';
import { addClient, type ClientSpec } from '../../src/issuer/admin/manage-clients.ts';
import { createIssuer, type Issuer } from '../../src/issuer/create-issuer.ts';
import { type IssuerOptionsInput, resolveIssuerOptions } from '../../src/issuer/issuer-options.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/types.ts';

export const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
export const AUDIENCE = 'https://billing.example';
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const silent = pino({ level: 'silent' });

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A temporary directory, removed by the returned function. */
export function tempDir(prefix = 'jwtgate-issuer-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function openTempStore(file: string, now?: () => number): Promise<Store> {
  const store = openSqliteStore(file, now ? { now } : {});
  await store.migrate();
  return store;
}

/** Registers a client; returns its secret (null for private_key_jwt). */
export async function registerClient(
  store: Store,
  spec: Partial<ClientSpec> & { id: string },
): Promise<string | null> {
  const { secret } = await addClient(store, { audiences: [AUDIENCE], ...spec }, 'test');
  return secret;
}

export interface TestIssuer {
  readonly url: string;
  readonly issuer: Issuer;
  readonly store: Store;
  readonly file: string;
  close(): Promise<void>;
}

/** An issuer in this process on a free 127.0.0.1 port, over a temp SQLite file (or `file`). */
export async function startTestIssuer(
  overrides: IssuerOptionsInput = {},
  deps: { now?: () => number; kek?: Buffer | null; file?: string } = {},
): Promise<TestIssuer> {
  const port = await freePort();
  const tmp = deps.file ? null : tempDir();
  const file = deps.file ?? join(tmp?.dir as string, 'issuer.db');
  const store = await openTempStore(file);
  const options = resolveIssuerOptions({ port, storeFile: file, keyPollMs: 200, ...overrides });
  const issuer = createIssuer(options, {
    store,
    log: silent,
    kek: deps.kek ?? null,
    ...(deps.now ? { now: deps.now } : {}),
  });
  await issuer.start();
  return {
    url: options.issuerUrl,
    issuer,
    store,
    file,
    async close() {
      await issuer.close();
      await store.close();
      tmp?.remove();
    },
  };
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export interface TokenCall {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** POSTs a form to an issuer endpoint; `auth` puts credentials in Basic or in the body. */
export async function postForm(
  url: string,
  params: Record<string, string>,
  auth?: { id: string; secret: string; method: 'basic' | 'post' },
  headers: Record<string, string> = {},
): Promise<TokenCall> {
  const body = new URLSearchParams(params);
  const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...headers };
  if (auth?.method === 'basic') h.authorization = basic(auth.id, auth.secret);
  if (auth?.method === 'post') {
    body.set('client_id', auth.id);
    body.set('client_secret', auth.secret);
  }
  const res = await fetch(url, { method: 'POST', headers: h, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

/** A client-credentials token of a secret client (Basic). */
export async function getToken(
  issuerUrl: string,
  id: string,
  secret: string,
  params: Record<string, string> = {},
) {
  const r = await postForm(
    `${issuerUrl}/token`,
    { grant_type: 'client_credentials', ...params },
    { id, secret, method: 'basic' },
  );
  if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token as string;
}

export function decodePart(token: string, i: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[i] as string, 'base64url').toString('utf8'));
}

/** A private_key_jwt client key pair: the public JWKS to register and a signer for assertions. */
export async function makeClientKey(alg = 'ES256', kid = 'client-key-1') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    jwks: { keys: [publicJwk as Record<string, unknown>] },
    /** RFC 7523 3: iss = sub = client id, aud = the issuer (or token endpoint), unique jti, short exp. */
    assertion: (clientId: string, audience: string, jti: string = crypto.randomUUID()) =>
      new SignJWT({})
        .setProtectedHeader({ alg, kid })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(audience)
        .setJti(jti)
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(privateKey),
  };
}

export interface IssuerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  output(): string;
  stop(): Promise<number | null>;
}

/** `jwtgate issuer ...` as a real process; ready when it logs "issuer ready" (or the tutorial's line). */
export function startIssuerProcess(args: string[], env: NodeJS.ProcessEnv = {}): IssuerProcess {
  const child = spawn(process.execPath, ['--conditions=jwtgate-source', CLI, 'issuer', ...args], {
    env: { ...process.env, JWTGATE_ADMIN_TOKEN: undefined, JWTGATE_KEY_ENCRYPTION_KEY: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/"msg":"(issuer ready|tutorial issuer ready)/.test(output)) resolve();
    };
    child.stdout?.on('data', (d) => {
      output += d;
      check();
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    void exited.then((code) => reject(new Error(`issuer exited with ${code}: ${output}`)));
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs `jwtgate <args>` to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=jwtgate-source', CLI, ...args], {
      env: { ...process.env, JWTGATE_KEY_ENCRYPTION_KEY: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
