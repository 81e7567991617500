import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import {
  type ConfigPath,
  ConfigProblems,
  type ConfigSource,
  sourceOfYaml,
  sourceWithoutLines,
} from './config-source.ts';
import type { GatewayConfig } from './types.ts';
import { validateConfig } from './validate-config.ts';

/** A validated configuration (defaults filled in) and where each of its parts was written. */
export interface LoadedConfig {
  readonly config: GatewayConfig;
  readonly source: ConfigSource;
}

/**
 * `${NAME}` in any string value is replaced by the environment variable; `$${` writes a literal `${`.
 * `ancestors` holds the objects above `value`: a YAML alias to a node containing itself makes a
 * cycle, which is a problem to report, not a structure to recurse into for ever.
 */
function interpolate(
  value: unknown,
  path: ConfigPath,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblems,
  ancestors: Set<object> = new Set(),
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
      if (whole.startsWith('$$')) return whole.slice(1);
      const found = env[name];
      if (found === undefined) {
        problems.add(path, `environment variable ${name} is not set`);
        return '';
      }
      return found;
    });
  }
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) {
    problems.add(path, 'a YAML alias refers to a node that contains it');
    return null;
  }
  ancestors.add(value);
  const out = Array.isArray(value)
    ? value.map((v, i) => interpolate(v, [...path, i], env, problems, ancestors))
    : Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], env, problems, ancestors)]),
      );
  ancestors.delete(value);
  return out;
}

/**
 * Reads and validates a config file. Problems name the file, the path inside it and its line,
 * and what was expected; all are reported at once.
 */
export function readConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
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
  const source = sourceOfYaml(file, doc, lines);
  const problems = new ConfigProblems(source);
  const raw = interpolate(parsed, [], env, problems);
  problems.throwIfAny();
  return { config: validateConfig(raw, source), source };
}

/** A configuration given as an object (tests, embedding): validated the same way, without lines. */
export function configFromObject(raw: unknown, file: string): LoadedConfig {
  const source = sourceWithoutLines(file);
  return { config: validateConfig(structuredClone(raw), source), source };
}
