// The gateway process terminating TLS, with certificates generated here by openssl: two SNI
// names (exact and wildcard), a certificate swapped on disk while clients keep their
// connections, HTTP/1.1 and HTTP/2 (node:http2 and curl --http2) on the same port, client
// certificates on the listener (mTLS), and an https upstream that requires the gateway's own
// client certificate.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { type ClientHttp2Session, connect as h2connect } from 'node:http2';
import { Agent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { makeCa, makeCert, type TestCert } from '../gateway/helpers/certs.ts';
import {
  freePort,
  type GatewayProcess,
  sleep,
  spawnGateway,
  startGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

const run = promisify(execFile);

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The CN of the certificate a fresh handshake with `servername` gets (undefined: no SNI). */
function handshakeCn(port: number, ca: Buffer, servername?: string, extra: object = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect(
      { host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}), ...extra },
      () => {
        const cn = s.getPeerCertificate().subject?.CN;
        s.end();
        resolve(String(cn));
      },
    );
    s.on('error', reject);
  });
}

function h2get(
  session: ClientHttp2Session,
  path: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
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

function httpsGet(
  url: string,
  options: {
    ca: Buffer;
    servername?: string;
    agent?: Agent;
    cert?: TestCert;
    headers?: Record<string, string>;
  },
): Promise<Reply & { socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        ca: options.ca,
        ...(options.servername ? { servername: options.servername } : {}),
        ...(options.cert
          ? { cert: readFileSync(options.cert.cert), key: readFileSync(options.cert.key) }
          : {}),
        agent: options.agent ?? false,
        headers: options.headers ?? {},
        // node:https offers no ALPN by default; an HTTP/1.1 client that does gets http/1.1.
        ...{ ALPNProtocols: ['http/1.1'] },
      },
      (res) => {
        // Taken now: a keep-alive agent takes the socket back once the response ends.
        const socket = res.socket as TLSSocket;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            socket,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the gateway terminating TLS (real process)', () => {
  const dir = tempDir();
  const ca = makeCa(dir.dir);
  const caPem = readFileSync(ca.cert);
  const certA = makeCert(ca, 'a', { dns: ['a.test'], cn: 'a-v1' });
  const certWild = makeCert(ca, 'wild', { dns: ['*.b.test'], cn: 'wild' });
  const svcA = makeCert(ca, 'svc-a', { subject: '/CN=svc-a/O=Example' });
  const svcB = makeCert(ca, 'svc-b', { subject: '/CN=svc-b/O=Example' });
  const upstreamCert = makeCert(ca, 'upstream', { dns: ['upstream.test'] });
  const gatewayClient = makeCert(ca, 'gateway-client', { cn: 'jwtgate-gateway' });
  // A certificate of another CA: a client presenting it is not verified.
  const otherCa = makeCa(dir.dir, 'other-ca', 'other CA');
  const stranger = makeCert(otherCa, 'stranger', { subject: '/CN=svc-a/O=Example' });
  let echo: Upstream;
  let tlsUpstream: ReturnType<typeof createHttpsServer>;
  let tlsUpstreamPort = 0;
  let gateway: GatewayProcess;
  let port = 0;
  let config = '';
  const base = () => `https://127.0.0.1:${port}`;

  before(async () => {
    echo = await startUpstream('echo');
    // The https upstream requires a client certificate of the CA and reports what it saw.
    tlsUpstream = createHttpsServer(
      {
        cert: readFileSync(upstreamCert.cert),
        key: readFileSync(upstreamCert.key),
        ca: caPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            client: socket.getPeerCertificate().subject?.CN,
            servername: (socket as TLSSocket & { servername?: string }).servername,
            path: req.url,
          }),
        );
      },
    );
    await new Promise<void>((r) => tlsUpstream.listen(0, '127.0.0.1', r));
    tlsUpstreamPort = (tlsUpstream.address() as { port: number }).port;
    port = await freePort();
    config = dir.write(
      'gateway.yaml',
      stringify({
        gateway: {
          listen: `127.0.0.1:${port}`,
          tls: {
            certificates: [
              { cert: certA.cert, key: certA.key },
              { cert: certWild.cert, key: certWild.key },
            ],
            client_certificates: { ca: ca.cert, mode: 'optional' },
          },
          providers: {
            corp: {
              issuer: 'https://issuer.example',
              secret: 'a-secret-that-is-long-enough-for-hs256-0123456789',
              algorithms: ['HS256'],
              audiences: ['api'],
            },
          },
          routes: [
            { name: 'pub', match: { path: '/pub/**' }, public: true, upstream: echo.origin },
            {
              name: 'svc',
              match: { path: '/svc/**' },
              public: true,
              client_certificate: { subjects: ['CN=svc-a,O=Example'], header: 'X-Client-Subject' },
              upstream: echo.origin,
            },
            {
              name: 'tls-up',
              match: { path: '/tls-up/**' },
              public: true,
              upstream: `https://127.0.0.1:${tlsUpstreamPort}`,
              upstream_tls: {
                ca: ca.cert,
                cert: gatewayClient.cert,
                key: gatewayClient.key,
                server_name: 'upstream.test',
              },
            },
            {
              // No upstream_tls: the system CAs, which do not know the test CA.
              name: 'untrusted-up',
              match: { path: '/untrusted-up/**' },
              public: true,
              upstream: `https://127.0.0.1:${tlsUpstreamPort}`,
            },
          ],
        },
      }),
    );
    gateway = await startGateway(config);
  });

  after(async () => {
    await gateway?.stop();
    await echo?.close();
    await new Promise((r) => tlsUpstream?.close(r));
    dir.cleanup();
  });

  test('two certificates by SNI: exact, wildcard (one label), and the first for no or unknown names', async () => {
    assert.equal(await handshakeCn(port, caPem, 'a.test'), 'a-v1');
    assert.equal(await handshakeCn(port, caPem, 'x.b.test'), 'wild');
    assert.equal(await handshakeCn(port, caPem, 'X.B.TEST'), 'wild');
    // RFC 6125: `*.b.test` covers one label only.
    assert.equal(
      await handshakeCn(port, caPem, 'y.x.b.test', { checkServerIdentity: () => undefined }),
      'a-v1',
    );
    assert.equal(await handshakeCn(port, caPem, undefined, { checkServerIdentity: () => undefined }), 'a-v1');
  });

  test('TLS 1.2 is the minimum: a TLS 1.1 client is refused', async () => {
    await assert.rejects(handshakeCn(port, caPem, 'a.test', { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }));
    const got = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect(
        { host: '127.0.0.1', port, ca: caPem, servername: 'a.test', maxVersion: 'TLSv1.2' },
        () => {
          resolve(String(s.getProtocol()));
          s.end();
        },
      );
      s.on('error', reject);
    });
    assert.equal(got, 'TLSv1.2');
  });

  test('HTTP/1.1 over TLS: the upstream sees X-Forwarded-Proto https', async () => {
    const r = await httpsGet(`${base()}/pub/hello`, { ca: caPem, servername: 'a.test' });
    assert.equal(r.status, 200);
    assert.equal(r.socket.alpnProtocol, 'http/1.1');
    const seen = JSON.parse(r.body) as { headers: IncomingHttpHeaders };
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
  });

  test('HTTP/2 by ALPN through node:http2: :authority is the host; no hop-by-hop header reaches the client', async () => {
    const session = h2connect(base(), { ca: caPem, servername: 'a.test' });
    try {
      const r = await h2get(session, '/pub/hop', { ':authority': `a.test:${port}` });
      assert.equal(r.status, 200);
      assert.equal(session.alpnProtocol, 'h2');
      const seen = JSON.parse(r.body) as { headers: IncomingHttpHeaders };
      assert.equal(seen.headers['x-forwarded-host'], `a.test:${port}`);
      assert.equal(seen.headers['x-forwarded-proto'], 'https');
      for (const name of Object.keys(seen.headers))
        assert.ok(!name.startsWith(':'), `pseudo-header ${name} forwarded`);
      // The upstream's Connection and the field it names are gone, the rest kept.
      assert.equal(r.headers.connection, undefined);
      assert.equal(r.headers['x-up-hop'], undefined);
      assert.equal(r.headers['x-up-kept'], '1');
      // Deny by default over HTTP/2 too.
      assert.equal((await h2get(session, '/nowhere')).status, 404);
    } finally {
      session.close();
    }
  });

  test('HTTP/2 through curl --http2', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--http2',
      '--cacert',
      ca.cert,
      '--resolve',
      `a.test:${port}:127.0.0.1`,
      '-o',
      join(dir.dir, 'curl-body'),
      '-w',
      '%{http_version} %{http_code}',
      `https://a.test:${port}/pub/curl`,
    ]);
    assert.equal(stdout, '2 200');
    const seen = JSON.parse(readFileSync(join(dir.dir, 'curl-body'), 'utf8')) as { url: string };
    assert.equal(seen.url, '/pub/curl');
  });

  test('mTLS on the listener: a route with client_certificate takes a verified, listed subject only', async () => {
    const url = `${base()}/svc/x`;
    const none = await httpsGet(url, { ca: caPem, headers: { 'x-client-subject': 'CN=svc-a,O=Example' } });
    assert.equal(none.status, 403);
    assert.equal(JSON.parse(none.body).error, 'ERR_CLIENT_CERT_REQUIRED');
    const other = await httpsGet(url, { ca: caPem, cert: svcB });
    assert.equal(other.status, 403);
    assert.equal(JSON.parse(other.body).error, 'ERR_CLIENT_CERT_REFUSED');
    // Same subject, another CA: not verified, so no certificate at all as far as routes go.
    const forged = await httpsGet(url, { ca: caPem, cert: stranger });
    assert.equal(JSON.parse(forged.body).error, 'ERR_CLIENT_CERT_REQUIRED');
    const ok = await httpsGet(url, { ca: caPem, cert: svcA, headers: { 'x-client-subject': 'CN=admin' } });
    assert.equal(ok.status, 200);
    const seen = JSON.parse(ok.body) as { headers: IncomingHttpHeaders };
    assert.equal(seen.headers['x-client-subject'], 'CN=svc-a,O=Example');
    // A client's copy of the header never reaches an upstream, on any route.
    const pub = await httpsGet(`${base()}/pub/x`, {
      ca: caPem,
      headers: { 'x-client-subject': 'CN=svc-a,O=Example' },
    });
    assert.equal(
      (JSON.parse(pub.body) as { headers: IncomingHttpHeaders }).headers['x-client-subject'],
      undefined,
    );
    // HTTP/2 reads the session's certificate.
    const session = h2connect(base(), {
      ca: caPem,
      servername: 'a.test',
      cert: readFileSync(svcA.cert),
      key: readFileSync(svcA.key),
    });
    try {
      const r = await h2get(session, '/svc/h2');
      assert.equal(r.status, 200);
      assert.equal(
        (JSON.parse(r.body) as { headers: IncomingHttpHeaders }).headers['x-client-subject'],
        'CN=svc-a,O=Example',
      );
    } finally {
      session.close();
    }
  });

  test("https upstream: verified against the configured CA, SNI sent, the gateway's client certificate shown", async () => {
    const r = await httpsGet(`${base()}/tls-up/x`, { ca: caPem, servername: 'a.test' });
    assert.equal(r.status, 200, r.body);
    const seen = JSON.parse(r.body) as { client: string; servername: string; path: string };
    assert.equal(seen.client, 'jwtgate-gateway');
    assert.equal(seen.servername, 'upstream.test');
    assert.equal(seen.path, '/tls-up/x');
    // Without upstream_tls the test CA is unknown: refused, never sent unverified.
    const untrusted = await httpsGet(`${base()}/untrusted-up/x`, { ca: caPem, servername: 'a.test' });
    assert.equal(untrusted.status, 502);
  });

  test('a certificate swapped on disk: open connections keep working, new handshakes get the new one; a bad file is refused', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const session = h2connect(base(), { ca: caPem, servername: 'a.test' });
    try {
      const first = await httpsGet(`${base()}/pub/1`, { ca: caPem, servername: 'a.test', agent });
      assert.equal(first.status, 200);
      const h1Socket = first.socket;
      assert.equal((await h2get(session, '/pub/1')).status, 200);
      const reloads = () => gateway.logs().filter((l) => l.msg === 'configuration reloaded').length;
      const before = reloads();
      // Rotated as certbot and cert-manager do: written aside, renamed over the old files.
      const next = makeCert(ca, 'a-next', { dns: ['a.test'], cn: 'a-v2' });
      renameSync(next.key, certA.key);
      renameSync(next.cert, certA.cert);
      await gateway.waitFor(() => reloads() > before, 10_000);
      // A key and certificate renamed one after the other may be read in between (refused, kept):
      // the last event reads both.
      let cn = '';
      for (let i = 0; i < 50 && cn !== 'a-v2'; i++) {
        cn = await handshakeCn(port, caPem, 'a.test');
        if (cn !== 'a-v2') await sleep(100);
      }
      assert.equal(cn, 'a-v2');
      // The open HTTP/1.1 keep-alive connection and the HTTP/2 session carry on, with the old certificate.
      const again = await httpsGet(`${base()}/pub/2`, { ca: caPem, servername: 'a.test', agent });
      assert.equal(again.status, 200);
      assert.equal(again.socket, h1Socket, 'the same keep-alive connection');
      assert.equal(h1Socket.getPeerCertificate().subject.CN, 'a-v1');
      assert.equal((await h2get(session, '/pub/2')).status, 200);
      assert.equal((session.socket as TLSSocket).getPeerCertificate().subject.CN, 'a-v1');

      // A broken certificate file: the reload is refused and logged; handshakes keep the running one.
      const refused = () =>
        gateway.logs().filter((l) => l.msg === 'reload refused; keeping the running configuration').length;
      const refusedBefore = refused();
      const good = readFileSync(certA.cert);
      writeFileSync(`${certA.cert}.tmp`, 'not a certificate\n');
      renameSync(`${certA.cert}.tmp`, certA.cert);
      await gateway.waitFor(() => refused() > refusedBefore, 10_000);
      const line = gateway
        .logs()
        .filter((l) => l.msg === 'reload refused; keeping the running configuration')
        .at(-1);
      assert.match(String(line?.reason), /gateway\.tls\.certificates\[0\]\.cert/);
      assert.equal(await handshakeCn(port, caPem, 'a.test'), 'a-v2');
      // Put back and SIGHUP: reloaded.
      writeFileSync(`${certA.cert}.tmp`, good);
      renameSync(`${certA.cert}.tmp`, certA.cert);
      await sleep(400);
      const beforeHup = reloads();
      gateway.child.kill('SIGHUP');
      await gateway.waitFor(() => reloads() > beforeHup, 10_000);
      assert.equal(await handshakeCn(port, caPem, 'a.test'), 'a-v2');
    } finally {
      session.close();
      agent.destroy();
    }
  });

  test('a missing certificate file fails the start with the path named', async () => {
    const bad = dir.write(
      'bad.yaml',
      readFileSync(config, 'utf8').replace(certWild.key, join(dir.dir, 'missing.key')),
    );
    const g = spawnGateway(bad);
    const code = await g.exited;
    assert.equal(code, 78);
    assert.match(
      g.output(),
      /gateway\.tls\.certificates\[1\]\.key \(line \d+\): cannot read .*missing\.key \(ENOENT\)/,
    );
  });
});
