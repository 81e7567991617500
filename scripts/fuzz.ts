// `npm run fuzz`: the reliability suite's properties (the same ones `npm test` runs seeded, a few
// hundred cases each) with many more cases: FUZZ_RUNS per property (default 100000), from
// FUZZ_SEED (default fixed, so a run reproduces). Every case runs, failures do not stop a
// property: the table counts crashes (an invariant broke) and unexpected exceptions (the code
// threw an error it does not document) and shows the first failing input of each. Exits 1 on any
// failure, known bugs (properties marked knownBug) included. FUZZ_ONLY=<text> runs the properties
// whose name contains it.
import fc from 'fast-check';
import { configLoaderSuite } from '../packages/jwtgate/test/properties/config-loader.properties.ts';
import { identityHeadersSuite } from '../packages/jwtgate/test/properties/identity-headers.properties.ts';
import { pathSafetySuite } from '../packages/jwtgate/test/properties/path-safety.properties.ts';
import { extractTokenSuite } from '../packages/verify/test/properties/extract-token.properties.ts';
import {
  type PropertySpec,
  type PropertySuite,
  UnexpectedException,
} from '../packages/verify/test/properties/property-suite.ts';
import { tokenParserSuite } from '../packages/verify/test/properties/token-parser.properties.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 424_242);
const ONLY = process.env.FUZZ_ONLY ?? '';
/** Cases generated at once, and checked concurrently (the servers and the gateway are async). */
const CHUNK = 500;
const CONCURRENCY = 8;

if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('FUZZ_RUNS: expected a whole number >= 1');

interface Row {
  suite: string;
  property: string;
  runs: number;
  crashes: number;
  unexpected: number;
  seconds: number;
  known?: string;
  first?: string;
}

async function runProperty<Ctx>(spec: PropertySpec<unknown, Ctx>, context: Ctx, seed: number): Promise<Row> {
  const row: Row = { suite: '', property: spec.name, runs: 0, crashes: 0, unexpected: 0, seconds: 0 };
  if (spec.knownBug) row.known = spec.knownBug;
  const started = performance.now();
  for (let done = 0, chunk = 0; done < RUNS; chunk++) {
    const n = Math.min(CHUNK, RUNS - done);
    const values = fc.sample(spec.arbitrary, { numRuns: n, seed: seed + chunk });
    let next = 0;
    const worker = async () => {
      while (next < values.length) {
        const value = values[next++];
        try {
          await spec.check(value, context);
        } catch (err) {
          if (err instanceof UnexpectedException) row.unexpected++;
          else row.crashes++;
          row.first ??= `${fc.stringify(value).slice(0, 240)}\n      -> ${String(
            (err as Error).message ?? err,
          )
            .split('\n')[0]
            ?.slice(0, 240)}`;
        }
        row.runs++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    done += n;
  }
  row.seconds = (performance.now() - started) / 1000;
  return row;
}

async function runSuite<Ctx>(suite: PropertySuite<Ctx>, rows: Row[]): Promise<void> {
  const specs = suite.properties.filter((p) => p.name.includes(ONLY) || suite.name.includes(ONLY));
  if (specs.length === 0) return;
  const context = (suite.open ? await suite.open() : undefined) as Ctx;
  try {
    for (const [i, spec] of specs.entries()) {
      process.stderr.write(`fuzz: ${suite.name}: ${spec.name} ...\n`);
      const row = await runProperty(spec, context, SEED + i * 1_000_003);
      row.suite = suite.name;
      rows.push(row);
    }
  } finally {
    if (suite.close) await suite.close(context);
  }
}

const rows: Row[] = [];
for (const suite of [
  tokenParserSuite,
  extractTokenSuite,
  pathSafetySuite,
  identityHeadersSuite,
  configLoaderSuite,
])
  await runSuite(suite as PropertySuite<unknown>, rows);

const head = ['suite', 'property', 'runs', 'crashes', 'unexpected exceptions', 'time (s)'];
const cells = rows.map((r) => [
  r.suite,
  `${r.property.length > 70 ? `${r.property.slice(0, 67)}...` : r.property}${r.known ? ' [known bug]' : ''}`,
  String(r.runs),
  String(r.crashes),
  String(r.unexpected),
  r.seconds.toFixed(1),
]);
const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
const line = (c: string[]) =>
  c.map((v, i) => (i >= 2 ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join('  ');
process.stdout.write(`\nfuzz: seed ${SEED}, ${RUNS} runs per property\n\n`);
process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const c of cells) process.stdout.write(`${line(c)}\n`);
const failed = rows.filter((r) => r.crashes + r.unexpected > 0);
const total = rows.reduce(
  (t, r) => ({
    runs: t.runs + r.runs,
    crashes: t.crashes + r.crashes,
    unexpected: t.unexpected + r.unexpected,
  }),
  { runs: 0, crashes: 0, unexpected: 0 },
);
process.stdout.write(
  `\n${rows.length} properties, ${total.runs} cases: ${total.crashes} crashes, ${total.unexpected} unexpected exceptions\n`,
);
for (const r of failed) {
  process.stdout.write(`\nFAILED ${r.suite}: ${r.property}\n`);
  if (r.known) process.stdout.write(`  known bug: ${r.known}\n`);
  process.stdout.write(`  first failing input: ${r.first}\n`);
}
process.exit(failed.length > 0 ? 1 : 0);
