// The TLS listener's options as a client sees them: TLS 1.3 as the minimum, HTTP/2 turned off.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { type ConnectionOptions, connect } from 'node:tls';
import pino from 'pino';
import { stringify } from 'yaml';
import type { TlsConfig } from '../../../src/gateway/config/types.ts';
import { createGateway, type Gateway } from '../../../src/gateway/create-gateway.ts';
import { makeCa, makeCert } from '../helpers/certs.ts';
import { config, route, tempDir } from '../helpers/config.ts';

/** The negotiated protocol and ALPN of a handshake, or the error's code. */
function handshake(
  port: number,
  options: ConnectionOptions,
): Promise<{ version?: string; alpn?: string | false | null; error?: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      resolve({ version: s.getProtocol() ?? '', alpn: s.alpnProtocol });
      s.end();
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

describe('createTlsServer', () => {
  const dir = tempDir('tls-server');
  const ca = makeCa(dir.dir);
  const cert = makeCert(ca, 'gw', { dns: ['localhost'] });
  const gateways: Gateway[] = [];
  after(async () => {
    await Promise.all(gateways.map((g) => g.close(50)));
    dir.remove();
  });

  async function start(tls: Partial<TlsConfig>): Promise<number> {
    const file = dir.write(
      `gw-${gateways.length}.yaml`,
      stringify(
        config([route('r', '/r')], { tls: { certificates: [{ cert: cert.cert, key: cert.key }], ...tls } }),
      ),
    );
    const g = createGateway({ configFile: file, logger: pino({ level: 'silent' }), port: 0 });
    gateways.push(g);
    return (await g.start()).port;
  }

  test('min_version TLSv1.3: a TLS 1.2 client is refused, a TLS 1.3 one accepted', async () => {
    const port = await start({ min_version: 'TLSv1.3' });
    const old = await handshake(port, { maxVersion: 'TLSv1.2' });
    assert.ok(old.error, 'refused');
    assert.deepEqual(await handshake(port, {}), { version: 'TLSv1.3', alpn: false });
  });

  test('HTTP/2 by ALPN by default; with http2: false a client asking for h2 gets http/1.1', async () => {
    const both = await start({});
    assert.equal((await handshake(both, { ALPNProtocols: ['h2', 'http/1.1'] })).alpn, 'h2');
    const h1 = await start({ http2: false });
    assert.equal((await handshake(h1, { ALPNProtocols: ['h2', 'http/1.1'] })).alpn, 'http/1.1');
    // RFC 7301 3.2: no protocol in common is a fatal no_application_protocol alert.
    assert.ok((await handshake(h1, { ALPNProtocols: ['h2'] })).error);
  });

  test('client_certificates mode required: a handshake without one fails', async () => {
    const port = await start({ client_certificates: { ca: ca.cert, mode: 'required' } });
    const client = makeCert(ca, 'client', { cn: 'client' });
    const withCert = await handshake(port, {
      cert: readFileSync(client.cert),
      key: readFileSync(client.key),
    });
    assert.equal(withCert.error, undefined);
    // TLS 1.3 sends the alert after the handshake: the first read fails.
    const without = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () =>
        s.write('GET /r HTTP/1.1\r\nhost: x\r\n\r\n'),
      );
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      s.on('data', () => resolve('answered'));
      s.on('close', () => resolve('closed'));
    });
    assert.notEqual(without, 'answered');
  });
});
