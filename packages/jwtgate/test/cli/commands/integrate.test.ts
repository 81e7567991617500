// `jwtgate integrate`: the printed configuration per proxy, from a config whose secret variable is
// unset (only names and addresses are read), and the refused uses with their exit codes.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { config, route, tempDir } from '../../gateway/helpers/config.ts';
import { cli } from '../run-cli.ts';

describe('jwtgate integrate', () => {
  const dir = tempDir('integrate');
  after(() => dir.remove());
  const withDecisions = config(
    [
      route('api', '/api/**', { identity_headers: { 'X-User-Id': 'sub', 'X-User-Roles': 'roles' } }),
      route('billing', '/billing/**', { identity_headers: { 'X-User-Id': 'sub', 'X-Tenant': 'tenant' } }),
    ],
    {
      decisions: {
        listen: '0.0.0.0:9902',
        trusted_proxies: ['10.0.0.0/8'],
        url: 'http://jwtgate.internal:9902',
      },
    },
  );
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's own interpolation syntax
  (withDecisions.gateway.providers.a as { secret: string }).secret = '${UNSET_SECRET_FOR_INTEGRATE}';
  const file = dir.write('jwtgate.yaml', stringify(withDecisions));

  test('nginx: an auth_request_set and a proxy_set_header for every identity header of every route', async () => {
    const r = await cli([
      'integrate',
      'nginx',
      '-c',
      file,
      '--upstream',
      'http://app:3000',
      '--listen',
      '8081',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /server jwtgate\.internal:9902;\n {4}keepalive 32;/);
    assert.match(r.stdout, /proxy_pass http:\/\/jwtgate_decisions\/nginx;/);
    assert.match(r.stdout, /listen 8081;/);
    for (const h of ['X-User-Id', 'X-User-Roles', 'X-Tenant']) {
      const v = h.toLowerCase().replace(/-/g, '_');
      assert.match(r.stdout, new RegExp(`auth_request_set \\$jwtgate_${v} \\$upstream_http_${v};`));
      assert.match(r.stdout, new RegExp(`proxy_set_header ${h} \\$jwtgate_${v};`));
    }
    assert.match(r.stdout, /proxy_set_header Remote-User "";/);
    assert.match(r.stdout, /proxy_pass http:\/\/app:3000;/);
  });

  test('each proxy prints its configuration naming the decision listener', async () => {
    const expected: Record<string, RegExp> = {
      traefik: /address: http:\/\/jwtgate\.internal:9902\/forward-auth/,
      caddy:
        /forward_auth jwtgate\.internal:9902 \{\n\t+uri \/forward-auth\n\t+copy_headers X-Tenant X-User-Id X-User-Roles X-Request-Id/,
      envoy: /path_prefix: \/envoy/,
      'ingress-nginx': /auth-response-headers: "X-Tenant,X-User-Id,X-User-Roles,X-Request-Id"/,
    };
    for (const [proxy, pattern] of Object.entries(expected)) {
      const r = await cli(['integrate', proxy, '-c', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, pattern, proxy);
    }
  });

  test('an unknown proxy exits 2; a config without gateway.decisions exits 78 naming it', async () => {
    const unknown = await cli(['integrate', 'haproxy', '-c', file]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown proxy "haproxy"/);
    const plain = dir.write('plain.yaml', stringify(config([route('api', '/api/**')])));
    const none = await cli(['integrate', 'nginx', '-c', plain]);
    assert.equal(none.code, 78);
    assert.match(none.stderr, /gateway\.decisions/);
  });
});
