// DPoP at the edges, with real processes: a `jwtgate issuer` gives a public client (PKCE,
// dpop: required) a DPoP-bound access token (cnf.jkt); one `jwtgate gateway` process terminates
// TLS (certificates made here by openssl) and opens the forward-auth decision listener beside it.
// Through TLS a fresh proof for `https://<host>:<port>/...` is accepted over HTTP/1.1 and over
// HTTP/2 (node:http2, ALPN h2), and a proof naming `http://` is refused. Through the decision
// listener (asked as nginx's auth_request asks: X-Original-URI, X-Original-Method,
// X-Forwarded-Host, X-Forwarded-Proto, the client's Authorization and DPoP passed on) a proof for
// the original URL as the client sent it gets 200 with the identity headers; a replayed proof,
// one for another URL, and one naming the decision listener's own URL get 401 WWW-Authenticate: DPoP.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { type ClientHttp2Session, connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import { makeCa, makeCert } from '../gateway/helpers/certs.ts';
import {
  type ClientKey,
  clientKey,
  type DpopIssuer,
  claimsOf as decode,
  startDpopIssuer,
} from './dpop-sign-in.ts';
import {
  freePort,
  type GatewayProcess,
  issuerProvider,
  startGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

const API = 'https://orders.example';
const ALICE = { username: 'alice', password: 'alice password only 123' };

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  protocol?: string;
}

const errorOf = (r: Reply) => (JSON.parse(r.body) as { error?: string }).error;

/** HTTP/1.1 over TLS (ALPN http/1.1), no connection reuse. */
function httpsGet(url: string, ca: Buffer, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { ca, agent: false, headers, ...{ ALPNProtocols: ['http/1.1'] } },
      (res) => {
        const protocol = (res.socket as TLSSocket).alpnProtocol || undefined;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            ...(protocol ? { protocol } : {}),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function h2get(session: ClientHttp2Session, path: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ...headers });
    let status = 0;
    let h: IncomingHttpHeaders = {};
    let body = '';
    req.on('response', (r) => {
      status = Number(r[':status']);
      h = r as IncomingHttpHeaders;
    });
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve({ status, headers: h, body }));
    req.on('error', reject);
  });
}

/** A question to the decision listener as nginx's auth_request subrequest sends it. */
function askNginx(port: number, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/nginx', method: 'GET', headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('DPoP through TLS termination (HTTP/1.1 and HTTP/2) and through the decision listener', {
  timeout: 120_000,
}, () => {
  const tmp = tempDir();
  const ca = makeCa(tmp.dir);
  const caPem = readFileSync(ca.cert);
  const serverCert = makeCert(ca, 'gateway', { dns: ['orders.test'], cn: 'gateway' });
  let issuer: DpopIssuer | undefined;
  let issuerUrl = '';
  let upstream: Upstream | undefined;
  let gateway: GatewayProcess | undefined;
  let tlsPort = 0;
  let decisionsPort = 0;
  let key: ClientKey;
  let token = '';
  const edge = () => `https://127.0.0.1:${tlsPort}`;

  before(async () => {
    issuer = await startDpopIssuer(tmp.dir, API, [ALICE]);
    issuerUrl = issuer.url;
    upstream = await startUpstream('orders');
    tlsPort = await freePort();
    decisionsPort = await freePort();
    const config = {
      gateway: {
        listen: `127.0.0.1:${tlsPort}`,
        tls: { certificates: [{ cert: serverCert.cert, key: serverCert.key }] },
        decisions: { listen: `127.0.0.1:${decisionsPort}`, trusted_proxies: ['127.0.0.1/32'] },
        providers: {
          issuer: { ...issuerProvider(issuerUrl, API), dpop: 'required' },
        },
        routes: [
          {
            name: 'orders',
            match: { path: '/orders/**' },
            requires: { provider: 'issuer' },
            upstream: upstream.origin,
            identity_headers: { 'x-user': 'sub' },
          },
        ],
      },
    };
    gateway = await startGateway(tmp.write('gateway.yaml', stringify(config)));
    key = await clientKey();
    token = await issuer.signIn(ALICE, key);
  });

  after(async () => {
    await gateway?.stop();
    await issuer?.process.stop();
    await upstream?.close();
    tmp.cleanup();
  });

  test('the issuer bound the token to the client key', () => {
    assert.deepEqual(decode(token).cnf, { jkt: key.thumbprint });
  });

  test('TLS termination, HTTP/1.1: a proof for https://<host>:<port>/... passes; one naming http:// is refused', async () => {
    const url = `${edge()}/orders/1`;
    const ok = await httpsGet(`${url}?page=2`, caPem, {
      authorization: `DPoP ${token}`,
      dpop: await key.proof('GET', url, token),
    });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.protocol, 'http/1.1');
    const seen = upstream?.seen.at(-1);
    assert.equal(seen?.headers['x-jwtgate-token-binding'], 'dpop');
    assert.equal(seen?.headers['x-user'], decode(token).sub);
    assert.equal(seen?.headers.dpop, undefined);

    const plain = await httpsGet(url, caPem, {
      authorization: `DPoP ${token}`,
      dpop: await key.proof('GET', `http://127.0.0.1:${tlsPort}/orders/1`, token),
    });
    assert.equal(plain.status, 401);
    assert.equal(errorOf(plain), 'ERR_DPOP_URL_MISMATCH');
    assert.match(String(plain.headers['www-authenticate']), /^DPoP error="invalid_dpop_proof"/);
  });

  test('TLS termination, HTTP/2 (ALPN h2): a proof for the https URL passes; http:// and a replay are refused', async () => {
    const session = h2connect(edge(), { ca: caPem });
    try {
      const url = `${edge()}/orders/2`;
      const proof = await key.proof('GET', url, token);
      const ok = await h2get(session, '/orders/2?x=1', { authorization: `DPoP ${token}`, dpop: proof });
      assert.equal(session.alpnProtocol, 'h2');
      assert.equal(ok.status, 200, ok.body);
      assert.equal(upstream?.seen.at(-1)?.headers['x-jwtgate-token-binding'], 'dpop');

      const again = await h2get(session, '/orders/2', { authorization: `DPoP ${token}`, dpop: proof });
      assert.equal(again.status, 401);
      assert.equal(errorOf(again), 'ERR_DPOP_PROOF_REPLAYED');

      const plain = await h2get(session, '/orders/2', {
        authorization: `DPoP ${token}`,
        dpop: await key.proof('GET', `http://127.0.0.1:${tlsPort}/orders/2`, token),
      });
      assert.equal(plain.status, 401);
      assert.equal(errorOf(plain), 'ERR_DPOP_URL_MISMATCH');
      assert.match(String(plain.headers['www-authenticate']), /^DPoP error="invalid_dpop_proof"/);
    } finally {
      session.close();
    }
  });

  // What nginx's auth_request subrequest carries (the `jwtgate integrate nginx` snippet): the
  // original method and target, $host and $scheme; Host is the upstream block's name.
  const nginxAsks = (uri: string, dpop: string, scheme = 'https') => ({
    host: 'jwtgate_decisions',
    'x-original-uri': uri,
    'x-original-method': 'GET',
    'x-forwarded-host': 'shop.example',
    'x-forwarded-proto': scheme,
    authorization: `DPoP ${token}`,
    dpop,
  });

  test('decision listener (nginx): a proof for the original https URL gets 200 with the identity headers', async () => {
    const proof = await key.proof('GET', 'https://shop.example/orders/5', token);
    const ok = await askNginx(decisionsPort, nginxAsks('/orders/5?page=1', proof));
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.headers['x-user'], decode(token).sub);
    assert.ok(ok.headers['x-request-id']);
    // An nginx serving plain http: the proof names http, and that is what is checked.
    const plainProof = await key.proof('GET', 'http://shop.example/orders/5', token);
    const plain = await askNginx(decisionsPort, nginxAsks('/orders/5', plainProof, 'http'));
    assert.equal(plain.status, 200, plain.body);
  });

  test('decision listener (nginx): a replayed proof, a proof for another URL or scheme, or for the listener itself: 401 DPoP', async () => {
    const proof = await key.proof('GET', 'https://shop.example/orders/6', token);
    assert.equal((await askNginx(decisionsPort, nginxAsks('/orders/6', proof))).status, 200);
    const replay = await askNginx(decisionsPort, nginxAsks('/orders/6', proof));
    assert.equal(replay.status, 401);
    assert.equal(errorOf(replay), 'ERR_DPOP_PROOF_REPLAYED');
    assert.match(String(replay.headers['www-authenticate']), /^DPoP error="invalid_dpop_proof"/);

    const wrong = [
      'https://shop.example/orders/7', // another path
      'http://shop.example/orders/6', // the scheme nginx did not serve
      `http://127.0.0.1:${decisionsPort}/nginx`, // the decision listener's own URL
      `http://jwtgate_decisions/orders/6`, // the subrequest's Host
    ];
    for (const htu of wrong) {
      const r = await askNginx(decisionsPort, nginxAsks('/orders/6', await key.proof('GET', htu, token)));
      assert.equal(r.status, 401, htu);
      assert.equal(errorOf(r), 'ERR_DPOP_URL_MISMATCH', htu);
      assert.match(String(r.headers['www-authenticate']), /^DPoP /, htu);
    }
  });
});
