// Maps keyed by input (client ids, role keys, notice names) are plain records in JSON and in the
// store. Read and built as below, a key named like an Object.prototype member (`constructor`,
// `toString`, `__proto__`) is a key like any other: never an inherited function, never a setter.

/**
 * An empty record without a prototype, for keys that come from input.
 *
 * @example
 * const roles = createRecord<string[]>();
 * roles.constructor = ['reader']; // an own entry, as for any other client id
 */
export function createRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * `record[key]` when it is the record's own entry, otherwise undefined (never an inherited member).
 *
 * @example
 * readOwn({ webapp: ['billing'] }, 'toString'); // undefined, not Object.prototype.toString
 */
export function readOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
