// Loaded only when tracing is on (startTracing): the SDK, its exporter and the W3C propagator.
import * as api from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import * as semconv from '@opentelemetry/semantic-conventions';
import type { Tracing } from './tracing.ts';

function exporters(env: NodeJS.ProcessEnv): SpanExporter[] {
  const names = (env.OTEL_TRACES_EXPORTER ?? 'otlp')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out: SpanExporter[] = [];
  for (const name of names.length === 0 ? ['otlp'] : names) {
    // OTLP over HTTP with JSON; the exporter reads its endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*.
    if (name === 'otlp') out.push(new OTLPTraceExporter());
    else if (name === 'console') out.push(new ConsoleSpanExporter());
    else api.diag.warn(`OTEL_TRACES_EXPORTER: "${name}" is not supported here (otlp, console)`);
  }
  return out;
}

/**
 * A tracer provider configured from the standard variables: the exporter (OTEL_TRACES_EXPORTER,
 * OTEL_EXPORTER_OTLP_*), the sampler (OTEL_TRACES_SAMPLER, _ARG), batching (OTEL_BSP_*), the
 * resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) and the W3C trace-context propagator.
 */
export async function openTracing(serviceName: string, env: NodeJS.ProcessEnv): Promise<Tracing> {
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: exporters(env).map((e) => new BatchSpanProcessor(e)),
  });
  // Sets the global tracer provider, the async-context manager and the propagator (W3C
  // traceparent/tracestate and baggage unless OTEL_PROPAGATORS says otherwise).
  provider.register();
  return {
    api,
    semconv,
    tracer: provider.getTracer('jwtgate'),
    recordSub: (env.JWTGATE_TRACE_SUB ?? '').trim().toLowerCase() === 'true',
    shutdown: () => provider.shutdown(),
  };
}
