// The TypeScript type of a value that matches a JSON schema written `as const`, so the schema is
// the one description of the configuration and the types cannot drift from the validator.
//
// Why this and not a library: ajv's JSONSchemaType goes the other way (a hand-written type that
// the schema is checked against, which is the copy this replaces, and it cannot say that a key
// with a default is always present after `useDefaults`); json-schema-to-ts's FromSchema does what
// is wanted but is a dependency outside the project's list, and its generality costs tsc deep
// instantiations on a schema this size. The configuration uses a small part of JSON schema
// (type, properties, required, additionalProperties, items, enum, const, oneOf, default), and
// these few lines cover exactly that part. Rules that only constrain (allOf, not, if/then,
// patterns, bounds) are left to ajv: they narrow values, not shapes.

/**
 * `filled`: as validated (ajv `useDefaults`), a key with a default is always present.
 * `input`: as written in a file, such a key may be left out.
 */
export type DefaultsMode = 'filled' | 'input';

type Flatten<T> = { [K in keyof T]: T[K] } & {};

type RequiredKeys<S, D extends DefaultsMode> =
  | (S extends { readonly required: readonly (infer R)[] } ? R : never)
  | (D extends 'filled' ? DefaultedKeys<S> : never);

type DefaultedKeys<S> = S extends { readonly properties: infer P }
  ? { [K in keyof P]: P[K] extends { readonly default: unknown } ? K : never }[keyof P]
  : never;

type PropertiesOf<S, D extends DefaultsMode> = S extends { readonly properties: infer P }
  ? Flatten<
      { -readonly [K in keyof P & RequiredKeys<S, D>]: FromSchema<P[K], D> } & {
        -readonly [K in Exclude<keyof P, RequiredKeys<S, D>>]?: FromSchema<P[K], D>;
      }
    >
  : unknown;

type AdditionalOf<S, D extends DefaultsMode> = S extends { readonly additionalProperties: infer A }
  ? A extends object
    ? Record<string, FromSchema<A, D>>
    : unknown
  : unknown;

/** The type of the values `S` accepts. */
export type FromSchema<S, D extends DefaultsMode = 'filled'> = S extends { readonly const: infer C }
  ? C
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly oneOf: readonly (infer O)[] }
      ? O extends unknown
        ? FromSchema<O, D>
        : never
      : S extends { readonly type: 'string' }
        ? string
        : S extends { readonly type: 'integer' | 'number' }
          ? number
          : S extends { readonly type: 'boolean' }
            ? boolean
            : S extends { readonly type: 'array'; readonly items: infer I }
              ? FromSchema<I, D>[]
              : S extends { readonly type: 'object' }
                ? PropertiesOf<S, D> & AdditionalOf<S, D>
                : unknown;
