import { Ajv, type ErrorObject } from 'ajv';
import { type ConfigPath, ConfigProblems, type ConfigSource } from './config-source.ts';
import { closestKey } from './did-you-mean.ts';
import { CONFIG_SCHEMA } from './schema.ts';
import type { GatewayConfig } from './types.ts';

// useDefaults: every default of the schema is written into the configuration as it is validated,
// so no other module carries a default of its own. strictRequired is off because the schema's
// rules (public xor requires; one of provider/any/all) require keys the enclosing object defines.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictRequired: false,
  useDefaults: true,
  verbose: true,
});
const validate = ajv.compile<GatewayConfig>(CONFIG_SCHEMA);

function pointerToPath(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Form = { type?: string; pattern?: string; required?: string[]; minimum?: number };

/** Says in words what a oneOf accepts: "a duration such as 250ms, 5s, 2m or a number of ms". */
function describeForms(forms: readonly Form[]): string {
  if (forms.some((f) => f.pattern === '^[0-9]+(ms|s|m|h)$')) {
    return 'expected a duration: a number of milliseconds, or a string such as 250ms, 5s, 2m, 1h';
  }
  const words = forms.map((f) => {
    if (f.required?.length) return `{ ${f.required.join(', ')}: ... }`;
    if (f.pattern) return `a ${f.type ?? 'value'} matching ${f.pattern}`;
    return `a${f.type === 'integer' || f.type === 'array' || f.type === 'object' ? 'n' : ''} ${f.type ?? 'value'}`;
  });
  return `expected exactly one of: ${words.join('; ')}`;
}

/** A rule of the schema (under allOf, then, else) says what it wants in its description. */
function ruleDescription(e: ErrorObject): string | undefined {
  if (!/\/(allOf\/\d+|then|else)(\/|$)/.test(e.schemaPath)) return undefined;
  return (e.parentSchema as { description?: string } | undefined)?.description;
}

function describeAjvError(e: ErrorObject): string {
  const rule = ruleDescription(e);
  if (rule !== undefined) return rule;
  if (e.keyword === 'oneOf') return describeForms((e.parentSchema as { oneOf?: Form[] })?.oneOf ?? []);
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const known = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
    const near = closestKey(key, known);
    return `unknown key "${key}"${near !== undefined ? ` (did you mean "${near}"?)` : ''}`;
  }
  if (e.keyword === 'required')
    return `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum')
    return `expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return e.message ?? e.keyword;
}

/**
 * Validates a configuration against CONFIG_SCHEMA and fills in its defaults (in place: pass a
 * copy). Every problem names its path and line in `source` and what was expected; all are
 * reported at once, as one ConfigError.
 */
export function validateConfig(raw: unknown, source: ConfigSource): GatewayConfig {
  if (validate(raw)) return raw;
  const problems = new ConfigProblems(source);
  const seen = new Set<string>();
  const errors = validate.errors ?? [];
  // A value matching no form of a oneOf is reported once, by the oneOf, not once per branch; an
  // if/then/else rule by its branch, not by the `if` that chose it.
  const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
  // A rule (public xor requires, ...) broken only because a key is misspelt says nothing more
  // than the unknown key does: `pubic: true` is reported as `pubic`, not also as a missing requires.
  const misspelt = new Set(
    errors.filter((e) => e.keyword === 'additionalProperties').map((e) => e.instancePath),
  );
  for (const e of errors) {
    if (e.keyword === 'const' || e.keyword === 'if') continue;
    if (ruleDescription(e) !== undefined && misspelt.has(e.instancePath)) continue;
    if (e.keyword !== 'oneOf' && e.schemaPath.includes('/oneOf/')) {
      if (oneOfPaths.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`))) continue;
    }
    let path: ConfigPath = pointerToPath(e.instancePath);
    // Point at the unknown key itself, not at the start of the object holding it.
    const unknownKey = e.keyword === 'additionalProperties';
    if (unknownKey) path = [...path, (e.params as { additionalProperty: string }).additionalProperty];
    const message = describeAjvError(e);
    const at = `${path.join('/')}: ${message}`;
    // Only oneOf branches repeat themselves; distinct problems of one object are all kept.
    const key = e.schemaPath.includes('/oneOf/') ? pointerToPath(e.instancePath).join('/') : at;
    if (!seen.has(key)) problems.add(path, message, { key: unknownKey });
    seen.add(key);
  }
  if (problems.count === 0) problems.add([], 'does not match the schema');
  throw problems.toError();
}
