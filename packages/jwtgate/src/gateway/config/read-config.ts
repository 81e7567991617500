import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import { CONFIG_SCHEMA } from './schema.ts';
import type { GatewayConfig } from './types.ts';

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false, verbose: true });
const validate = ajv.compile<GatewayConfig>(CONFIG_SCHEMA);

/**
 * `${NAME}` in any string value is replaced by the environment variable; `$${` writes a literal `${`.
 * `ancestors` holds the objects above `value`: a YAML alias to a node containing itself makes a
 * cycle, which is a problem to report, not a structure to recurse into for ever.
 */
function interpolate(
  value: unknown,
  path: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
  ancestors: Set<object> = new Set(),
): unknown {
  const at = path || '(top level)';
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
      if (whole.startsWith('$$')) return whole.slice(1);
      const found = env[name];
      if (found === undefined) {
        problems.push(`${at}: environment variable ${name} is not set`);
        return '';
      }
      return found;
    });
  }
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) {
    problems.push(`${at}: a YAML alias refers to a node that contains it`);
    return null;
  }
  ancestors.add(value);
  const out = Array.isArray(value)
    ? value.map((v, i) => interpolate(v, `${path}[${i}]`, env, problems, ancestors))
    : Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          interpolate(v, path ? `${path}.${k}` : k, env, problems, ancestors),
        ]),
      );
  ancestors.delete(value);
  return out;
}

function pointerToSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function dotted(segments: readonly string[]): string {
  return segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
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

function describeAjvError(e: ErrorObject): string {
  if (e.keyword === 'oneOf') return describeForms((e.parentSchema as { oneOf?: Form[] })?.oneOf ?? []);
  if (e.keyword === 'additionalProperties')
    return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'required')
    return `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum')
    return `expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return e.message ?? e.keyword;
}

/**
 * Reads and validates a config file. Problems name the file, the path inside it and its line,
 * and what was expected; all are reported at once.
 */
export function readConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  let parsed: unknown;
  try {
    // An alias to an anchor that does not exist is found only here (yaml throws a ReferenceError).
    parsed = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(file, [`the YAML cannot be read: ${(err as Error).message.split('\n')[0]}`]);
  }
  const problems: string[] = [];
  const raw = interpolate(parsed, '', env, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  if (!validate(raw)) {
    const seen = new Set<string>();
    const errors = validate.errors ?? [];
    // A value matching no form of a oneOf is reported once, by the oneOf, not once per branch.
    const oneOfPaths = errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath);
    for (const e of errors) {
      if (e.keyword === 'const') continue;
      if (e.keyword !== 'oneOf' && e.schemaPath.includes('/oneOf/')) {
        if (oneOfPaths.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`))) continue;
      }
      const segments = pointerToSegments(e.instancePath);
      let node = doc.getIn(segments, true) as { range?: [number, number, number] | null } | undefined;
      if (e.keyword === 'additionalProperties' && isMap(node)) {
        // Point at the unknown key itself, not at the start of the object holding it.
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        node = node.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key)?.key ?? node;
      }
      const line = node?.range ? ` (line ${lines.linePos(node.range[0]).line})` : '';
      const message = `${dotted(segments) || '(top level)'}${line}: ${describeAjvError(e)}`;
      // Only oneOf branches repeat themselves; distinct problems of one object are all kept.
      const key = e.schemaPath.includes('/oneOf/') ? dotted(segments) : message;
      if (!seen.has(key)) problems.push(message);
      seen.add(key);
    }
    throw new ConfigError(file, problems.length ? problems : ['does not match the schema']);
  }
  return raw;
}
