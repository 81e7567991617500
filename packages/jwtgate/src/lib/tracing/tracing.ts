// Whether this process traces, and with what. Nothing of OpenTelemetry is imported here (types
// only): with tracing off, the request path pays one null check (`tracing()`), and no
// @opentelemetry module is ever loaded (openTracing is imported only when tracing is asked for).
import type * as Api from '@opentelemetry/api';
import type * as Semconv from '@opentelemetry/semantic-conventions';

/** The process's tracer, and the API and attribute names its spans are made with. */
export interface Tracing {
  readonly api: typeof Api;
  readonly semconv: typeof Semconv;
  readonly tracer: Api.Tracer;
  /** Record the subject (`sub`) of a verified token as `enduser.id` (JWTGATE_TRACE_SUB=true). */
  readonly recordSub: boolean;
  /** Exports the spans not yet sent, then stops. */
  shutdown(): Promise<void>;
}

let current: Tracing | null = null;

/** The process's tracing, or null when off (the default). */
export function tracing(): Tracing | null {
  return current;
}

/**
 * Whether the standard variables ask for traces: OTEL_TRACES_EXPORTER set (`otlp`, `console`),
 * or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turns it off. Unset: off, unlike the SDK's
 * own default, so a process never sends spans to a collector it was not pointed at.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (exporters.includes('none')) return false;
  if (exporters.length > 0) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts tracing when the environment asks for it (tracingRequested), for a service named
 * OTEL_SERVICE_NAME or `serviceName`; null, and nothing loaded, otherwise.
 *
 * @example
 * await startTracing('jwtgate-gateway'); // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
 */
export async function startTracing(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing | null> {
  if (current !== null || !tracingRequested(env)) return current;
  const { openTracing } = await import('./open-tracing.ts');
  current = await openTracing(serviceName, env);
  return current;
}

/** Flushes and stops tracing (on shutdown); nothing when it is off. */
export async function stopTracing(): Promise<void> {
  const t = current;
  current = null;
  await t?.shutdown();
}
