import type { Metric } from 'prom-client';

type MetricType = 'counter' | 'histogram';

/**
 * Counters and histograms kept in plain structures on the request path (an array index or a Map
 * lookup and an add), turned into prom-client's metric shape only when scraped. prom-client's
 * own `inc`/`observe` re-validate labels on every call; these take label values already known
 * to be strings and leave the formatting (escaping, `# HELP`/`# TYPE`) to the registry, so the
 * exposition text and the cluster aggregation (AggregatorRegistry sums by name and labels) are
 * prom-client's as before.
 */

type Labels = Record<string, string>;

interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

/** A metric the registry can render: `get()` at scrape time, `reset()` for tests. */
interface Scraped {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: MetricType; aggregator: 'sum'; values: Sample[] }>;
  reset(): void;
}

/** The registry's view of a plain metric (prom-client's Metric type is its classes'). */
export function asMetric(m: Scraped): Metric {
  return m as unknown as Metric;
}

/** One counter series: add to `value`. */
export interface CounterCell {
  value: number;
}

/** A counter with labels: `cell(...)` once per label combination (kept), then `cell.value++`. */
export class CounterTable implements Scraped {
  readonly type: MetricType = 'counter';
  readonly aggregator = 'sum' as const;
  readonly #cells = new Map<string, { cell: CounterCell; labels: Labels }>();
  readonly name: string;
  readonly help: string;
  readonly #labelNames: readonly string[];

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.#labelNames = labelNames;
  }

  /** The series for these label values (in `labelNames` order), created at 0 the first time. */
  cell(...values: string[]): CounterCell {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let entry = this.#cells.get(key);
    if (entry === undefined) {
      const labels: Labels = {};
      this.#labelNames.forEach((n, i) => {
        labels[n] = values[i] as string;
      });
      entry = { cell: { value: 0 }, labels };
      this.#cells.set(key, entry);
    }
    return entry.cell;
  }

  async get() {
    const values = [...this.#cells.values()].map((e) => ({ value: e.cell.value, labels: { ...e.labels } }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const e of this.#cells.values()) e.cell.value = 0;
  }
}

/** One histogram series: counts per bucket (not cumulative; summed at scrape), sum and count. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.#bounds;
    let i = 0;
    while (i < b.length && v > (b[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += v;
    this.count++;
  }
}

/** A histogram with labels, rendered like prom-client's (`_bucket{le}`, `_sum`, `_count`). */
export class HistogramTable implements Scraped {
  readonly type: MetricType = 'histogram';
  readonly aggregator = 'sum' as const;
  readonly #cells = new Map<string, { cell: HistogramCell; labels: Labels }>();
  readonly name: string;
  readonly help: string;
  readonly #labelNames: readonly string[];
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.#labelNames = labelNames;
    this.#bounds = bounds;
  }

  cell(...values: string[]): HistogramCell {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let entry = this.#cells.get(key);
    if (entry === undefined) {
      const labels: Labels = {};
      this.#labelNames.forEach((n, i) => {
        labels[n] = values[i] as string;
      });
      entry = { cell: new HistogramCell(this.#bounds), labels };
      this.#cells.set(key, entry);
    }
    return entry.cell;
  }

  async get() {
    const values: Sample[] = [];
    for (const { cell, labels } of this.#cells.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i++) {
        cumulative += cell.counts[i] as number;
        const le = i < this.#bounds.length ? String(this.#bounds[i]) : '+Inf';
        values.push({ value: cumulative, labels: { le, ...labels }, metricName: `${this.name}_bucket` });
      }
      values.push({ value: cell.sum, labels: { ...labels }, metricName: `${this.name}_sum` });
      values.push({ value: cell.count, labels: { ...labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const { cell } of this.#cells.values()) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}
