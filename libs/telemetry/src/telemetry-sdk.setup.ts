// Owns the process-wide OpenTelemetry tracing setup: one NodeTracerProvider, W3C trace-context and
// baggage propagation, AsyncLocalStorage context, and an OTLP/HTTP exporter only when an endpoint is
// configured (without one, spans still get ids so logs and headers correlate, but nothing leaves the process).
import { context, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (e.g. `http://collector:4318`) or full traces URL; omitted = export nothing. */
  otlpEndpoint?: string;
  /** Defaults to parent-based always-on: follow the caller's sampling decision, sample new roots. */
  sampler?: Sampler;
  /** Extra processors (tests attach an in-memory exporter here). */
  spanProcessors?: SpanProcessor[];
  /** Deadline for each OTLP export request. */
  exportTimeoutMillis?: number;
}

export type TelemetryShutdown = () => Promise<void>;

export function startTelemetry(options: TelemetryOptions): TelemetryShutdown {
  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint) {
    const exporter = new OTLPTraceExporter({
      url: tracesUrl(options.otlpEndpoint),
      timeoutMillis: options.exportTimeoutMillis ?? 10_000,
    });
    spanProcessors.push(new BatchSpanProcessor(exporter));
  }

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    sampler: options.sampler ?? new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors,
  });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });

  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    try {
      await provider.shutdown();
    } finally {
      // Unregister the globals so a later startTelemetry (tests, hot restarts) can register again.
      trace.disable();
      propagation.disable();
      context.disable();
    }
  };
}

function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}
