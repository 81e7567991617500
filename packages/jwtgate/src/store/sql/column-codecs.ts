// Column conversions that both dialects share: booleans as INTEGER 0/1 and JSON as TEXT (see
// migrations.ts for why), integers checked to be exact.

/** An integer column as a number: a safe integer, given as a number, bigint or decimal string. */
export function readInteger(value: unknown): number {
  const number = typeof value === 'string' || typeof value === 'bigint' ? Number(value) : value;
  if (typeof number === 'number' && Number.isSafeInteger(number)) return number;
  throw new TypeError(`jwtgate store: expected an integer column, got ${typeof value} ${String(value)}`);
}

export function writeBoolean(value: boolean): number {
  return value ? 1 : 0;
}

export function readBoolean(value: unknown): boolean {
  return readInteger(value) !== 0;
}

export function writeJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function readJson<T>(value: unknown): T | null {
  return typeof value === 'string' ? (JSON.parse(value) as T) : null;
}
