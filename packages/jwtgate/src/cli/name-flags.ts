import { JwtGateError } from '@jwtgate/verify';
import { CodedError, EXIT } from '../lib/coded-error.ts';

/**
 * The layers below the CLI name what is wrong by their own field (`token lifetime (seconds): ...`,
 * `options.providers.token.secret: ...`, `audiences: ...`); the person at the terminal typed a
 * flag. Keys are those field names, values the flag (or `<argument>`) that sets them.
 */
export type FlagNames = Readonly<Record<string, string>>;

/** An error reworded to name the flag; same code, same exit code (2 for an invalid value). */
class FlagError extends CodedError {
  readonly code: string;

  constructor(message: string, code: string, exitCode: number, cause: unknown) {
    super(message, { status: 400, exitCode, cause });
    this.code = code;
  }
}

function messageOf(err: unknown): string {
  if (err instanceof JwtGateError) return err.detail ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * `err` reworded when its message starts with one of the fields (`field: problem` becomes
 * `--flag: problem`; a field without the colon, like `cannot open the store`, gets the flag in
 * front), else `err` itself.
 */
export function nameFlag(err: unknown, flags: FlagNames, terms: FlagNames = {}): unknown {
  let message = messageOf(err);
  // Option names inside the message (`set allowHttp to permit it`) as the flags they are here.
  for (const [term, flag] of Object.entries(terms)) message = message.replaceAll(term, flag);
  const fields = Object.keys(flags).sort((a, b) => b.length - a.length);
  const field = fields.find((f) => message.startsWith(`${f}: `) || message.startsWith(`${f} `));
  if (field === undefined && message === messageOf(err)) return err;
  const flag = field === undefined ? '' : (flags[field] as string);
  const reworded =
    field === undefined
      ? message
      : message.startsWith(`${field}: `)
        ? `${flag}: ${message.slice(field.length + 2)}`
        : `${flag}: ${message}`;
  if (!(err instanceof CodedError || err instanceof JwtGateError)) return new Error(reworded, { cause: err });
  const exitCode =
    err instanceof JwtGateError
      ? EXIT.config // ERR_OPTIONS_INVALID: the verifier's options, a configuration
      : // A value the layer below refused (ERR_CLIENT_INVALID, ERR_USER_INVALID): wrong usage.
        err.exitCode === EXIT.failed && /_INVALID$/.test(err.code)
        ? EXIT.usage
        : err.exitCode;
  return new FlagError(reworded, err.code, exitCode, err);
}

/** Wraps a command's action so that what it throws names the flags (see nameFlag). */
export function namingFlags<A extends unknown[]>(
  flags: FlagNames | ((...args: A) => FlagNames),
  action: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      throw nameFlag(err, typeof flags === 'function' ? flags(...args) : flags);
    }
  };
}

/** The store every administration command opens. */
export const STORE_FLAGS: FlagNames = { 'cannot open the store': '--store' };
