import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { gatewayCommand, writeGatewayConfig } from '../../src/demo/gateway-config.ts';

const services = {
  tutorial: 'http://127.0.0.1:7101',
  billing: 'http://127.0.0.1:7102',
  inventory: 'http://127.0.0.1:7103',
};

describe("the demo's gateway.yaml", () => {
  test('its header gives the command that runs it: SECRET_KEY from the data folder, then jwtgate gateway', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwtgate demo '));
    try {
      const file = writeGatewayConfig(dir, {
        host: '127.0.0.1',
        gatewayPort: 9001,
        issuerUrl: 'http://127.0.0.1:8080',
        services,
        secretFile: join(dir, 'secret-key'),
      });
      const text = readFileSync(file, 'utf8');
      const command = gatewayCommand(file, join(dir, 'secret-key'));
      assert.ok(text.split('\n').includes(`#   ${command}`));
      assert.match(text, /--no-gateway/);
      // Run by bash as printed (the folder name holds a space), with a stand-in for jwtgate that
      // shows what it was given.
      writeFileSync(join(dir, 'secret-key'), 'the-secret\n');
      const seen = execFileSync(
        'bash',
        ['-c', `jwtgate() { printf '%s\\n' "$SECRET_KEY" "$@"; }; ${command}`],
        {
          encoding: 'utf8',
        },
      );
      assert.deepEqual(seen.trim().split('\n'), ['the-secret', 'gateway', '-c', file]);
      assert.equal(parse(text).gateway.listen, '127.0.0.1:9001');
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder the gateway interpolates
      assert.equal(parse(text).gateway.providers.tutorial.secret, '${SECRET_KEY}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with SECRET_KEY from the environment the command does not read a file', () => {
    assert.equal(gatewayCommand('/data/gateway.yaml', null), 'jwtgate gateway -c /data/gateway.yaml');
    assert.equal(
      gatewayCommand('/data/gateway.yaml', '/data/secret-key'),
      'SECRET_KEY="$(cat /data/secret-key)" jwtgate gateway -c /data/gateway.yaml',
    );
  });
});
