import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderConfigReference, renderJsonSchema } from '../../../src/gateway/config/config-reference.ts';
import { CONFIG_SCHEMA } from '../../../src/gateway/config/schema.ts';

const root = new URL('../../../../../', import.meta.url);

describe('generated config docs', () => {
  it('docs/config-reference.md is what the schema generates (run npm run docs:config)', () => {
    assert.equal(readFileSync(new URL('docs/config-reference.md', root), 'utf8'), renderConfigReference());
  });

  it('schema/jwtgate.schema.json is the published copy of the schema', () => {
    assert.equal(readFileSync(new URL('schema/jwtgate.schema.json', root), 'utf8'), renderJsonSchema());
  });

  it('documents every route key', () => {
    const text = renderConfigReference();
    const route = CONFIG_SCHEMA.properties.gateway.properties.routes.items.properties;
    for (const key of Object.keys(route)) assert.ok(text.includes(`\`gateway.routes[].${key}\``), key);
  });
});
