// docs/security-model.md is the one place a reader learns every limit, what a client sees when it
// reaches it and which client headers never reach an upstream: these pin it to the source, so a
// limit or a stripped header added in code cannot go undocumented.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONFIG_SCHEMA } from '../../src/gateway/config/schema.ts';
import {
  STRIPPED_CLIENT_HEADER_PREFIXES,
  STRIPPED_CLIENT_HEADERS,
} from '../../src/gateway/headers/header-policy.ts';
import { LIMIT_NAMES } from '../../src/gateway/observe/metrics.ts';

const root = new URL('../../../../', import.meta.url);
const securityModel = readFileSync(new URL('docs/security-model.md', root), 'utf8');
const operations = readFileSync(new URL('docs/operations.md', root), 'utf8');

/** The rows of the limits table: `| What | Default | What the client sees | Metric label |`. */
function limitRows(): string[][] {
  return securityModel
    .split('\n')
    .filter((l) => l.startsWith('| ') && l.includes('`'))
    .map((l) => l.split('|').map((c) => c.trim()));
}

describe('docs/security-model.md', () => {
  it('has a row, with a default, for every gateway.limits setting and every route limit', () => {
    const limits = Object.keys(CONFIG_SCHEMA.properties.gateway.properties.limits.properties);
    assert.ok(limits.length >= 10, 'the schema lists the limits');
    const route = ['max_body_bytes', 'max_concurrent', 'rate_limit'];
    const rows = limitRows();
    for (const key of [...limits.map((k) => `limits.${k}`), ...route]) {
      const row = rows.find((r) => (r[1] ?? '').includes(`\`${key}\``));
      assert.ok(row, `no row names \`${key}\``);
      assert.ok((row[2] ?? '') !== '', `${key}: no default`);
      assert.ok((row[3] ?? '') !== '', `${key}: no word on what a client sees`);
    }
  });

  it('names every jwtgate_limit_reached_total label in the table, and operations.md lists each', () => {
    const labels = new Set(limitRows().map((r) => (r[4] ?? '').replaceAll('`', '')));
    for (const name of LIMIT_NAMES) {
      assert.ok(labels.has(name), `${name} is no row's metric label`);
      assert.ok(operations.includes(`\`${name}\``), `operations.md does not list ${name}`);
    }
  });

  it('lists every stripped client header and prefix', () => {
    const text = securityModel.toLowerCase();
    for (const name of STRIPPED_CLIENT_HEADERS) assert.ok(text.includes(`\`${name}\``), name);
    for (const prefix of STRIPPED_CLIENT_HEADER_PREFIXES) assert.ok(text.includes(`\`${prefix}*\``), prefix);
  });
});
