// The reliability suite's shape: a property is an input generator (fast-check) and a check of one
// input. `npm test` runs each property seeded, a few hundred cases each, with fast-check shrinking
// a failure to a small counterexample; `npm run fuzz` (scripts/fuzz.ts) runs the same properties
// with many more cases and counts the two kinds of failure:
//   - an unexpected exception: the code under test threw something other than its documented
//     error (JwtGateError for the verify core, ConfigError for the config loader);
//   - a crash: the code answered, but an invariant broke (a round trip that changed the value, a
//     disagreement with jose, a header value the parser altered, an unsafe path let through).
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';

/** One property: inputs from `arbitrary`, each checked by `check` (which throws on a failure). */
export interface PropertySpec<T, Ctx> {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  readonly check: (value: T, context: Ctx) => void | Promise<void>;
  /** Cases in the seeded `npm test` run (default 300). */
  readonly testRuns?: number;
  /**
   * A real bug this property finds in code another change owns: the property runs as a node:test
   * `todo` (reported, not failing `npm test`) and `npm run fuzz` counts it. Remove once fixed.
   */
  readonly knownBug?: string;
}

/** Properties sharing a context (servers, a compiled gateway) opened once for all of them. */
export interface PropertySuite<Ctx = undefined> {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: each property has its own input type
  readonly properties: readonly PropertySpec<any, Ctx>[];
  open?(): Promise<Ctx>;
  close?(context: Ctx): Promise<void>;
}

/** Declares a property with its input type inferred. */
export function defineProperty<T, Ctx = undefined>(spec: PropertySpec<T, Ctx>): PropertySpec<T, Ctx> {
  return spec;
}

/** Thrown by expectOnly when the code under test throws an error it does not document. */
export class UnexpectedException extends Error {
  readonly thrown: unknown;

  constructor(thrown: unknown) {
    const what = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    super(`unexpected exception: ${what}`, { cause: thrown });
    this.thrown = thrown;
  }
}

/** Runs `fn`; an error `allowed` accepts is returned as `{ error }`, any other becomes an UnexpectedException. */
export function expectOnly<R>(
  fn: () => R,
  allowed: (err: unknown) => boolean,
): { readonly value: R } | { readonly error: unknown } {
  try {
    return { value: fn() };
  } catch (err) {
    if (allowed(err)) return { error: err };
    throw new UnexpectedException(err);
  }
}

/** expectOnly for promises. */
export async function expectOnlyAsync<R>(
  fn: () => Promise<R>,
  allowed: (err: unknown) => boolean,
): Promise<{ readonly value: R } | { readonly error: unknown }> {
  try {
    return { value: await fn() };
  } catch (err) {
    if (allowed(err)) return { error: err };
    throw new UnexpectedException(err);
  }
}

/** The seed of `npm test` runs: fixed, so a failure reproduces; PROPERTY_SEED overrides it. */
export const PROPERTY_SEED = Number(process.env.PROPERTY_SEED ?? 20_261_103);

/** Registers a suite with node:test: one test per property, seeded, shrinking on failure. */
export function testPropertySuite<Ctx>(suite: PropertySuite<Ctx>): void {
  describe(suite.name, () => {
    let context = undefined as Ctx;
    before(async () => {
      if (suite.open) context = await suite.open();
    });
    after(async () => {
      if (suite.close) await suite.close(context);
    });
    for (const spec of suite.properties) {
      test(spec.name, spec.knownBug ? { todo: `known bug: ${spec.knownBug}` } : {}, async () => {
        await fc.assert(
          fc.asyncProperty(spec.arbitrary, async (value) => {
            await spec.check(value, context);
          }),
          { seed: PROPERTY_SEED, numRuns: spec.testRuns ?? 300 },
        );
      });
    }
  });
}
