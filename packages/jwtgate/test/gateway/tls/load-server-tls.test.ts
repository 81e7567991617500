import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { compileGateway } from '../../../src/gateway/config/compile-gateway.ts';
import { ConfigProblems, sourceWithoutLines } from '../../../src/gateway/config/config-source.ts';
import { configFromObject } from '../../../src/gateway/config/read-config.ts';
import { ConfigError } from '../../../src/gateway/errors.ts';
import { RevocationList } from '../../../src/gateway/state/revocation-list.ts';
import { loadServerTls } from '../../../src/gateway/tls/load-server-tls.ts';
import { makeCa, makeCert } from '../helpers/certs.ts';
import { config, route, tempDir } from '../helpers/config.ts';

describe('loadServerTls', () => {
  const dir = tempDir('server-tls');
  const ca = makeCa(dir.dir);
  const a = makeCert(ca, 'a', { dns: ['a.test'] });
  const b = makeCert(ca, 'b', { dns: ['b.test'] });
  const notPem = join(dir.dir, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  after(() => dir.remove());

  test('certificates, their names, defaults, and the files to watch', () => {
    const problems = new ConfigProblems(sourceWithoutLines('g.yaml'));
    const tls = loadServerTls(
      {
        certificates: [
          { cert: a.cert, key: a.key },
          { cert: b.cert, key: b.key, names: ['*.other.test'] },
        ],
        min_version: 'TLSv1.2',
        http2: true,
        client_certificates: { ca: ca.cert, mode: 'optional' },
      },
      problems,
    );
    assert.equal(problems.count, 0);
    assert.ok(tls);
    assert.equal(tls.minVersion, 'TLSv1.2');
    assert.equal(tls.http2, true);
    assert.equal(tls.clientAuth, 'optional');
    assert.deepEqual(tls.files, [ca.cert, a.cert, a.key, b.cert, b.key]);
    // `names` replaces the certificate's own.
    assert.notEqual(tls.select('x.other.test'), tls.select('a.test'));
    assert.equal(tls.select('b.test'), tls.select('a.test'));
  });

  test('each bad file is named with its path in the configuration', () => {
    const collected = new ConfigProblems(sourceWithoutLines('g.yaml'));
    const tls = loadServerTls(
      {
        certificates: [
          { cert: join(dir.dir, 'missing.pem'), key: a.key },
          { cert: notPem, key: a.key },
          { cert: a.cert, key: b.key },
        ],
        min_version: 'TLSv1.2',
        http2: true,
        client_certificates: { ca: join(dir.dir, 'no-ca.pem'), mode: 'optional' },
      },
      collected,
    );
    assert.equal(tls, null);
    const problems = collected.toError().problems;
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(
      problems[0] as string,
      /^gateway\.tls\.client_certificates\.ca: cannot read .*no-ca\.pem \(ENOENT\)/,
    );
    assert.match(
      problems[1] as string,
      /^gateway\.tls\.certificates\[0\]\.cert: cannot read .*missing\.pem \(ENOENT\)/,
    );
    assert.match(
      problems[2] as string,
      /^gateway\.tls\.certificates\[1\]\.cert: .*not\.pem is not a PEM file/,
    );
    assert.match(
      problems[3] as string,
      /^gateway\.tls\.certificates\[2\]: .* are not a certificate and its key/,
    );
  });

  test('at load: a ConfigError naming the file and path', () => {
    const file = join(dir.dir, 'gateway.yaml');
    const cfg = config([route('r', '/r')], {
      tls: { certificates: [{ cert: join(dir.dir, 'missing.pem'), key: a.key }] },
    });
    assert.throws(
      () => compileGateway(configFromObject(cfg, file), { revocations: new RevocationList() }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes(file) &&
        err.problems.some((p) => p.startsWith('gateway.tls.certificates[0].cert: cannot read')),
    );
  });

  test('client_certificate on a route needs a client CA; upstream_tls an https upstream and cert with key', () => {
    const cfg = config(
      [
        route('mtls', '/m', {
          public: true,
          requires: undefined,
          client_certificate: { header: 'X-Subject' },
        }),
        route('up', '/u', { upstream_tls: { cert: a.cert } }),
      ],
      { tls: { certificates: [{ cert: a.cert, key: a.key }] } },
    );
    assert.throws(
      () => compileGateway(configFromObject(cfg, 'g.yaml'), { revocations: new RevocationList() }),
      (err: unknown) => {
        const p = (err as ConfigError).problems.join('\n');
        return (
          p.includes('gateway.routes[0].client_certificate: needs gateway.tls.client_certificates') &&
          p.includes('gateway.routes[1].upstream_tls: cert and key go together') &&
          p.includes('gateway.routes[1].upstream_tls: the route has no https:// upstream')
        );
      },
    );
  });
});
