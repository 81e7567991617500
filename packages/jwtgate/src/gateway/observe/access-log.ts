import { hostname } from 'node:os';
import type { Logger } from 'pino';

/** One request's access line: the fields every line has (`sub` and `upgrade` when known). */
export interface AccessEntry {
  readonly request_id: string;
  readonly method: string | undefined;
  readonly path: string;
  readonly route: string;
  readonly status: number;
  readonly reason: string;
  readonly sub: unknown;
  readonly latency_ms: number;
  readonly upgrade: true | undefined;
}

/** Where access lines go: one call per request. */
export interface AccessLog {
  write(entry: AccessEntry): void;
  /** Writes out what is buffered, synchronously (on exit and SIGTERM). */
  flush(): void;
}

/** Access lines through a pino logger, at info (tests and embedders that pass their own logger). */
export function accessLogThrough(log: Logger): AccessLog {
  return {
    write: (entry) => log.info(entry),
    flush() {},
  };
}

export interface BatchedAccessLogOptions {
  /** The logger's name, as in its other lines. */
  readonly name: string;
  /** Writes one chunk of whole lines, synchronously (process.stdout on Linux, fs.writeSync). */
  readonly write: (chunk: string) => void;
  /** A batch is written once it would pass this many characters. Default 4000 (under PIPE_BUF). */
  readonly maxBatch?: number;
  /** A batch is written at the latest about this long after its first line. Default 250 ms. */
  readonly maxDelayMs?: number;
  readonly now?: () => number;
}

/** Printable ASCII but `"` and `\\`: a string JSON.stringify would only put quotes around. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(v)` for a string, without entering the serialiser for the usual plain text. */
function quote(v: string): string {
  return PLAIN.test(v) ? `"${v}"` : JSON.stringify(v);
}

// Route names and reason codes are few (the configuration's, the code's): each is quoted once.
const quotedNames = new Map<string, string>();
const MAX_QUOTED_NAMES = 4096;

function quoteName(v: string): string {
  let q = quotedNames.get(v);
  if (q === undefined) {
    q = quote(v);
    if (quotedNames.size < MAX_QUOTED_NAMES) quotedNames.set(v, q);
  }
  return q;
}

/**
 * A latency already rounded to hundredths (`Math.round(ms * 100) / 100`) as JSON writes it,
 * from integers: `12`, `12.5`, `12.05`.
 */
export function hundredths(ms: number): string {
  const c = Math.round(ms * 100);
  if (!Number.isSafeInteger(c) || c < 0) return String(ms);
  const whole = Math.floor(c / 100);
  const frac = c - whole * 100;
  if (frac === 0) return String(whole);
  if (frac % 10 === 0) return `${whole}.${frac / 10}`;
  return `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/**
 * Access lines serialised here rather than through pino (a general-purpose logger costs several
 * times this per line) and written in batches from the main thread: no libuv pool thread and its
 * context switches per write. The line is what pino wrote for `log.info(entry)`: level 30,
 * time, pid, hostname and name first, then the entry's fields, undefined ones left out.
 *
 * A batch stays under 4096 bytes (PIPE_BUF) so that a write to a pipe shared by `--workers`
 * processes is never interleaved with another's; it is written when full, 250 ms after its first
 * line at the latest, and on `flush()`.
 */
export function createBatchedAccessLog(options: BatchedAccessLogOptions): AccessLog {
  const maxBatch = options.maxBatch ?? 4000;
  const maxDelayMs = options.maxDelayMs ?? 250;
  const now = options.now ?? Date.now;
  const head = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"name":${JSON.stringify(options.name)}`;
  let batch = '';
  let batchStarted = 0;
  // One timer for the life of the log, not one per line or batch.
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (batch === '') return;
    const chunk = batch;
    batch = '';
    options.write(chunk);
  };
  return {
    write(e) {
      let line = `{"level":30,"time":${now()}${head},"request_id":${quote(e.request_id)}`;
      if (e.method !== undefined) line += `,"method":${quote(e.method)}`;
      line += `,"path":${quote(e.path)},"route":${quoteName(e.route)},"status":${e.status},"reason":${quoteName(e.reason)}`;
      if (e.sub !== undefined)
        line += `,"sub":${typeof e.sub === 'string' ? quote(e.sub) : JSON.stringify(e.sub)}`;
      line += `,"latency_ms":${hundredths(e.latency_ms)}`;
      if (e.upgrade !== undefined) line += ',"upgrade":true';
      line += '}\n';
      if (batch.length + line.length > maxBatch) flush();
      if (batch === '') batchStarted = performance.now();
      batch += line;
      if (timer === null) {
        timer = setInterval(() => {
          if (batch !== '' && performance.now() - batchStarted >= maxDelayMs / 2) flush();
        }, maxDelayMs / 2);
        timer.unref();
      }
    },
    flush,
  };
}
