import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.ts';

/** The token from an argument (`-` reads standard input) or a file; surrounding whitespace dropped. */
export function readToken(arg: string | undefined, file: string | undefined): string {
  if (arg !== undefined && file !== undefined)
    throw new UsageError('give the token or --token-file, not both');
  if (file !== undefined) return readFileSync(file, 'utf8').trim();
  if (arg === '-') return readFileSync(0, 'utf8').trim();
  if (arg === undefined) throw new UsageError('no token given');
  return arg.trim();
}

/** A password from standard input (a pipe or a file), without the one line break that ends it. */
export function readPasswordStdin(): string {
  return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
}
