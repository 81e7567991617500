import { ALGORITHMS, type Algorithm } from '@jwtgate/verify';
import { InvalidArgumentError } from 'commander';
import {
  isSigningAlgorithm,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from '../issuer/keys/generate-signing-key.ts';

// Every option value parser of the CLI. Each throws commander's InvalidArgumentError, which
// commander reports with the flag as typed (`error: option '--port <port>' argument '-1' is
// invalid. expected a port number 0-65535`) and exit code 2.

function integer(value: string): number | null {
  const n = Number(value);
  return Number.isInteger(n) ? n : null;
}

/** A TCP port, 0 (any free port) to 65535. */
export function port(value: string): number {
  const n = integer(value);
  if (n === null || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

/** A whole number of seconds, at least 1. */
export function seconds(value: string): number {
  const n = integer(value);
  if (n === null || n < 1) throw new InvalidArgumentError('expected a whole number of seconds >= 1');
  return n;
}

/** A whole number, 0 or more. */
export function wholeNumber(value: string): number {
  const n = integer(value);
  if (n === null || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

/** A whole number, 1 or more. */
export function positiveWholeNumber(value: string): number {
  const n = integer(value);
  if (n === null || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

/** Clock skew tolerated on exp, nbf and iat: 0-300 seconds. */
export function leeway(value: string): number {
  const n = integer(value);
  if (n === null || n < 0 || n > 300) throw new InvalidArgumentError('expected 0-300 seconds');
  return n;
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

/** Repeatable option whose values are kept whole (a value may itself hold commas). */
export const repeat = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A JWS algorithm the verifier supports. */
export function algorithm(value: string): Algorithm {
  if (!Object.hasOwn(ALGORITHMS, value))
    throw new InvalidArgumentError(`expected one of ${Object.keys(ALGORITHMS).join(', ')}`);
  return value as Algorithm;
}

/** Repeatable `--alg`, each value possibly a comma-separated list. */
export const algorithms = (value: string, previous: Algorithm[] = []): Algorithm[] => [
  ...previous,
  ...collect(value).map(algorithm),
];

/** An algorithm the issuer and `keys generate` can make keys for. */
export function signingAlgorithm(value: string): SigningAlgorithm {
  if (!isSigningAlgorithm(value))
    throw new InvalidArgumentError(`expected one of ${SIGNING_ALGORITHMS.join(', ')}`);
  return value;
}
