// Shared setup of the adapter tests: one HS256 provider on a fixed clock, tokens signed in-process.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import { createVerifier, type Verifier } from '../../src/create-verifier.ts';
import type { JwtGateError } from '../../src/errors.ts';
import { NOW_MS, NOW_SECONDS, SECRET, secretBytes, signToken } from '../helpers/keys.ts';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'api://test';

export function makeVerifier(): Verifier {
  return createVerifier({
    providers: { test: { issuer: ISSUER, audiences: [AUDIENCE], algorithms: ['HS256'], secret: SECRET } },
    now: () => NOW_MS,
  });
}

/** A token the verifier accepts, with extra claims. */
export function goodToken(claims: JWTPayload = {}): Promise<string> {
  return signToken(secretBytes(), { alg: 'HS256', claims: { sub: 'alice', ...claims } });
}

/** A token signed with a different secret: ERR_SIGNATURE_INVALID. */
export function forgedToken(): Promise<string> {
  return signToken(secretBytes(`${SECRET}-but-not-the-same`), { alg: 'HS256', claims: { sub: 'mallory' } });
}

/** A well-signed token that expired before the injected clock: ERR_TOKEN_EXPIRED. */
export function expiredToken(): Promise<string> {
  return signToken(secretBytes(), { alg: 'HS256', exp: NOW_SECONDS - 60, claims: { sub: 'alice' } });
}

export function baseUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
}

/** Records onDenied calls. */
export function denials() {
  const seen: { error: JwtGateError; url: string | undefined }[] = [];
  return {
    seen,
    onDenied: (error: JwtGateError, request: { url?: string | undefined }) => {
      seen.push({ error, url: request.url });
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body };
}

/** Asserts a denial answer: status, code, RFC 6750 challenge and JSON body. */
export function assertDenied(
  answer: { status: number; header: (name: string) => string | null | undefined; body: unknown },
  status: number,
  code: string,
  challenge: string | RegExp | undefined,
): void {
  assert.equal(answer.status, status);
  assert.match(answer.header('content-type') ?? '', /^application\/json/);
  assert.equal(answer.header('cache-control'), 'no-store');
  const www = answer.header('www-authenticate') ?? undefined;
  if (challenge === undefined) assert.equal(www, undefined);
  else if (typeof challenge === 'string') assert.equal(www, challenge);
  else assert.match(www ?? '', challenge);
  assert.equal((answer.body as { error?: unknown }).error, code);
  assert.equal(typeof (answer.body as { message?: unknown }).message, 'string');
}

export function fetched(a: Answer) {
  return { status: a.status, header: (n: string) => a.headers.get(n), body: a.body };
}
