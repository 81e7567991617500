import { CodedError, EXIT } from '../lib/coded-error.ts';

/** A command used wrongly (a missing or conflicting option): exit code 2, like commander's own. */
export class UsageError extends CodedError {
  readonly code = 'ERR_USAGE';

  constructor(message: string) {
    super(message, { status: 400, exitCode: EXIT.usage });
  }
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
