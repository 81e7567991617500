// `jwtgate clients add|update` for public, native and exchanging clients, as an operator runs them:
// the real CLI against a temporary SQLite store.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, tempDir } from '../../issuer/helpers.ts';

const API = 'https://api.example';

describe('jwtgate clients: public, native and exchanging clients', () => {
  const tmp = tempDir();
  const store = join(tmp.dir, 'issuer.db');
  const cli = (...args: string[]) => runCli([...args, `--store=${store}`]);
  after(() => tmp.remove());

  test('a public browser app: no secret printed, its web origins', async () => {
    const r = await cli(
      'clients',
      'add',
      'spa',
      '--auth-method',
      'none',
      '--grant-type',
      'authorization_code,refresh_token',
      '--redirect-uri',
      'https://spa.example/callback',
      '--web-origin',
      'https://spa.example',
      '--audience',
      API,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'client spa created (public: no secret)\n');
    assert.doesNotMatch(r.stdout, /client_secret/);
    const show = await cli('clients', 'show', 'spa');
    assert.match(show.stdout, /^auth method: +none$/m);
    assert.match(show.stdout, /^web origins: +https:\/\/spa\.example$/m);
    const rotate = await cli('clients', 'rotate-secret', 'spa');
    assert.equal(rotate.code, 1);
    assert.match(rotate.stderr, /public client .* no secret/);
  });

  test('a native app and a device: loopback and reverse-domain redirects, the device grant', async () => {
    const r = await cli(
      'clients',
      'add',
      'desktop',
      '--auth-method',
      'none',
      '--application-type',
      'native',
      '--grant-type',
      'authorization_code,refresh_token,device_code',
      '--redirect-uri',
      'http://127.0.0.1/callback,com.example.desktop:/cb',
      '--audience',
      API,
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const { client } = JSON.parse(r.stdout) as { client: Record<string, unknown>; client_secret?: string };
    assert.equal(client.application_type, 'native');
    assert.deepEqual(client.grant_types, [
      'authorization_code',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
    ]);
    const bad = await cli(
      'clients',
      'add',
      'bad',
      '--auth-method',
      'none',
      '--application-type',
      'native',
      '--redirect-uri',
      'myapp:/cb',
      '--audience',
      API,
    );
    assert.equal(bad.code, 2, 'a refused value is wrong usage');
    assert.match(bad.stderr, /--redirect-uri: "myapp:\/cb" is not valid/);
  });

  test('update edits what is given; token exchange on and off', async () => {
    await cli('clients', 'add', 'orders', '--audience', 'https://orders.internal');
    const on = await cli(
      'clients',
      'update',
      'orders',
      '--grant-type',
      'client_credentials,token_exchange',
      '--exchange-audience',
      'https://ledger.example',
      '--json',
    );
    assert.equal(on.code, 0, on.stderr);
    const updated = JSON.parse(on.stdout) as Record<string, unknown>;
    assert.deepEqual(updated.token_exchange, { audiences: ['https://ledger.example'], issuers: [] });
    assert.deepEqual(updated.audiences, ['https://orders.internal'], 'what is not given stays');
    const show = await cli('clients', 'show', 'orders');
    assert.match(show.stdout, /^exchange: +to https:\/\/ledger\.example; issuers this issuer$/m);
    const off = await cli(
      'clients',
      'update',
      'orders',
      '--grant-type',
      'client_credentials',
      '--no-exchange',
      '--json',
    );
    assert.equal(off.code, 0, off.stderr);
    assert.equal((JSON.parse(off.stdout) as Record<string, unknown>).token_exchange, null);
    const origins = await cli(
      'clients',
      'update',
      'spa',
      '--web-origin',
      'https://spa.example,https://beta.spa.example',
    );
    assert.match(origins.stdout, /^web origins: +https:\/\/beta\.spa\.example,https:\/\/spa\.example$/m);
    const dpop = await cli('clients', 'update', 'spa', '--dpop', 'required');
    assert.equal(dpop.code, 0, dpop.stderr);
    assert.match(dpop.stdout, /^dpop: +required$/m);
    const badDpop = await cli('clients', 'update', 'spa', '--dpop', 'sometimes');
    assert.equal(badDpop.code, 2);
    assert.match(badDpop.stderr, /--dpop: expected allowed or required/);
    const missing = await cli('clients', 'update', 'nobody', '--name', 'x');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no client nobody/);
  });
});
