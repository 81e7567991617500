// The authorization code flow with PKCE as a person goes through it in Chromium: the issuer's
// login page, the password (and any step after it the test answers), the redirect to a callback
// served by the test, and the code redeemed at the token endpoint as the client does.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { basic, decodePart } from '../issuer/helpers.ts';
import { clickAndLoad } from './chromium.ts';

export interface CodeFlowClient {
  readonly issuerUrl: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** The client's secret (client_secret_basic); none for a public client. */
  readonly secret?: string;
  /** The resource indicator (RFC 8707) asked for in both requests, when given. */
  readonly resource?: string;
}

export interface SignedIn {
  readonly accessToken: string;
  readonly id: Record<string, unknown>;
  readonly access: Record<string, unknown>;
}

/** A server on 127.0.0.1:`port` answering every request with a "Signed in" page. */
export async function startCallbackServer(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end('<!DOCTYPE html><title>Signed in</title><p id="done">Signed in.</p>');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** Opens the authorization request on the login page; returns the PKCE verifier to redeem the code with. */
export async function authorize(page: Page, client: CodeFlowClient): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: 'openid profile',
    state: 'st',
    nonce: 'n',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(client.resource ? { resource: client.resource } : {}),
  });
  await page.goto(`${client.issuerUrl}/authorize?${query}`);
  assert.ok(page.url().startsWith(`${client.issuerUrl}/interaction/`), page.url());
  return verifier;
}

/** Types the username and password on the login page and submits them. */
export async function enterPassword(page: Page, credentials: { username: string; password: string }) {
  await page.fill('#username', credentials.username);
  await page.fill('#password', credentials.password);
  await clickAndLoad(page, 'button[value="login"]');
}

/** Waits for the callback, then redeems its code at the token endpoint: the tokens and their claims. */
export async function redeem(page: Page, client: CodeFlowClient, verifier: string): Promise<SignedIn> {
  await page.waitForURL((u) => u.href.startsWith(client.redirectUri), { timeout: 15_000 });
  const code = new URL(page.url()).searchParams.get('code');
  assert.ok(code, page.url());
  const res = await fetch(`${client.issuerUrl}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(client.secret ? { authorization: basic(client.clientId, client.secret) } : {}),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUri,
      code_verifier: verifier,
      ...(client.secret ? {} : { client_id: client.clientId }),
      ...(client.resource ? { resource: client.resource } : {}),
    }),
  });
  const body = (await res.json()) as Record<string, string>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return {
    accessToken: body.access_token as string,
    id: decodePart(body.id_token as string, 1),
    access: decodePart(body.access_token as string, 1),
  };
}
