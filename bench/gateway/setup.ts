// bench/gateway: the setups (where processes run) and what every row gets to start with.

import type { LoadTarget } from '../lib/load.ts';
import type { Started } from '../lib/processes.ts';
import type { Fixtures } from './fixtures.ts';

/** Streams per connection in the HTTP/2 rows (h2load `-m`), the gateway's and nginx's alike. */
export const HTTP2_STREAMS = 10;

export interface Setup {
  readonly name: 'A' | 'B';
  readonly title: string;
  /** CPU list for the proxy under test, or null for no pinning. */
  readonly proxyCpu: string | null;
  /** CPU list for wrk and the upstream, or null. */
  readonly clientCpu: string | null;
  /** Processes per proxy (jwtgate `--workers`, node:cluster, nginx `worker_processes`). */
  readonly workers: number;
  readonly taskset: string;
}

export interface RowContext {
  readonly setup: Setup;
  readonly upstreamPort: number;
  readonly fixtures: Fixtures;
  /** Extra flags for Node proxies (the profile's `--cpu-prof`); rows of other kinds ignore them. */
  readonly nodeFlags?: readonly string[];
}

/** A proxy started for a row, ready for load. */
export interface RunningRow {
  /** The processes whose CPU is the row's (each a process group: the proxy and what it forked). */
  readonly procs: readonly Started[];
  /** What wrk sends in a measured run. */
  readonly target: LoadTarget;
  /** What wrk sends in the warm-up before each measured run (default: `target`). */
  readonly warmup?: LoadTarget;
  /** Counters read before and after each measured run; `note` gets the differences. */
  counters?(): Promise<Record<string, number>>;
  note?(delta: Record<string, number>): string;
  stop(): Promise<void>;
}

/**
 * One row of the table: a module in bench/gateway/rows/ whose default export is this (or a list
 * of them). A row
 * starts its own processes (pinned with `setup.taskset` to `setup.proxyCpu`), checks that they
 * answer as they must (a wrong answer throws: nothing is measured against a broken proxy), and
 * says what to send. Rows are started in `order`; the report keeps that order.
 */
export interface RowSpec {
  readonly key: string;
  readonly order: number;
  /** Measured only when asked for (`--rows=...`). */
  readonly extra?: boolean;
  /**
   * The key of the row this one is compared with besides bare (the TLS rows: nginx terminating
   * TLS the same way): the report gives CPU and req/s ÷ that row, and `--rows=` naming this row
   * measures that one too.
   */
  readonly baseline?: string;
  label(setup: Setup): string;
  /** What the proxy does per request, for the report's note column. */
  readonly does: string;
  start(ctx: RowContext): Promise<RunningRow>;
}
