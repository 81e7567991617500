import { fail, type JwtGateError } from '../errors.ts';

// Small checks for option objects: each failure names the path and what was expected, so a bad
// option fails when the verifier is created, with a message a person can act on.

export function optionsError(path: string, expected: string): JwtGateError {
  return fail('ERR_OPTIONS_INVALID', `${path}: ${expected}`);
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

export function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw optionsError(path, `expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function onlyKeys(object: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key))
      throw optionsError(`${path}.${key}`, `unknown option (expected one of ${allowed.join(', ')})`);
  }
}

export function asString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '')
    throw optionsError(path, `expected a non-empty string, got ${describe(value)}`);
  return value;
}

export function asStringList(value: unknown, path: string, { nonEmpty = false } = {}): string[] {
  if (!Array.isArray(value)) throw optionsError(path, `expected a list of strings, got ${describe(value)}`);
  if (nonEmpty && value.length === 0) throw optionsError(path, 'expected at least one entry');
  return value.map((v, i) => asString(v, `${path}[${i}]`));
}

export function asNumber(value: unknown, path: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw optionsError(path, `expected a number >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function asBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw optionsError(path, `expected true or false, got ${describe(value)}`);
  return value;
}

export function asOneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw optionsError(path, `expected one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}
