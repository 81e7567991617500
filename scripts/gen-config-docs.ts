// Writes the published JSON schema and the generated config reference from the one schema source.
import { writeFileSync } from 'node:fs';
import {
  renderConfigReference,
  renderJsonSchema,
} from '../packages/jwtgate/src/gateway/config/config-reference.ts';

const root = new URL('..', import.meta.url);
writeFileSync(new URL('schema/jwtgate.schema.json', root), renderJsonSchema());
writeFileSync(new URL('docs/config-reference.md', root), renderConfigReference());
console.log('wrote schema/jwtgate.schema.json and docs/config-reference.md');
