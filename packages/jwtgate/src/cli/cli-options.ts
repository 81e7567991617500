import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { CodedError, EXIT } from '../lib/coded-error.ts';

/** A command used wrongly (a missing or conflicting option): exit code 2, like commander's own. */
export class UsageError extends CodedError {
  readonly code = 'ERR_USAGE';

  constructor(message: string) {
    super(message, { status: 400, exitCode: EXIT.usage });
  }
}

/** `30d`, `12h`, `90m`, `45s` or plain seconds. */
export function duration(value: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 30d, 12h, 90m, 3600s or 3600');
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  if (n < 1) throw new InvalidArgumentError('expected a duration of at least one second');
  return n;
}

/** `name=value`: the value is JSON when it parses (numbers, booleans, arrays, objects), else a string. */
export function claimPair(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const i = value.indexOf('=');
  if (i < 1) throw new InvalidArgumentError('expected name=value');
  const raw = value.slice(i + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return { ...previous, [value.slice(0, i)]: parsed };
}

/** Repeatable option, each value possibly a comma-separated list. */
export const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(',').filter(Boolean),
];

/** The token from an argument (`-` reads standard input) or a file; surrounding whitespace dropped. */
export function readToken(arg: string | undefined, file: string | undefined): string {
  if (arg !== undefined && file !== undefined)
    throw new UsageError('give the token or --token-file, not both');
  if (file !== undefined) return readFileSync(file, 'utf8').trim();
  if (arg === '-') return readFileSync(0, 'utf8').trim();
  if (arg === undefined) throw new UsageError('no token given');
  return arg.trim();
}

/** Exactly one of the named options must be set; returns its name. */
export function exactlyOne<T extends string>(
  opts: Record<string, unknown>,
  names: readonly T[],
  flags: string,
): T {
  const given = names.filter((n) => opts[n] !== undefined);
  if (given.length !== 1) throw new UsageError(`give exactly one of ${flags}`);
  return given[0] as T;
}
