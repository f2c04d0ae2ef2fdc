// Owns the process-wide OpenTelemetry tracing setup: one NodeTracerProvider, W3C trace-context and
// baggage propagation, AsyncLocalStorage context, the configured sampler, and an OTLP/HTTP exporter only
// when an endpoint is configured. Without an endpoint (and no processor passed in) nothing could read a
// span, so none is recorded: spans still get ids, so logs and `traceparent` answers correlate, at
// a fraction of the cost (their flags say "not sampled"). Disabled, nothing is registered: every span
// is the API's no-op one.
import {
  context,
  propagation,
  SamplingDecision,
  trace,
  type Attributes,
  type Context,
  type Link,
  type SamplingResult,
  type SpanKind,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (e.g. `http://collector:4318`) or full traces URL; omitted = export nothing. */
  otlpEndpoint?: string;
  /**
   * A sampler, or one named as OTEL_TRACES_SAMPLER names them (with OTEL_TRACES_SAMPLER_ARG's ratio).
   * Defaults to parent-based always-on: follow the caller's sampling decision, sample new roots.
   */
  sampler?: Sampler | NamedSampler;
  /** OTEL_SDK_DISABLED: register no provider (no-op spans, no trace ids in logs or headers). */
  disabled?: boolean;
  /** Extra processors (tests attach an in-memory exporter here). */
  spanProcessors?: SpanProcessor[];
  /** Deadline for each OTLP export request. */
  exportTimeoutMillis?: number;
}

export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export interface NamedSampler {
  readonly name: (typeof SAMPLER_NAMES)[number];
  /** Share of new traces sampled by the ratio samplers (default 1). */
  readonly ratio?: number;
}

export type TelemetryShutdown = () => Promise<void>;

export function startTelemetry(options: TelemetryOptions): TelemetryShutdown {
  if (options.disabled) return async () => undefined;
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
    sampler:
      spanProcessors.length === 0
        ? new AlwaysOffSampler()
        : new PrismaRootsDropped(samplerOf(options.sampler ?? { name: 'parentbased_always_on' })),
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

/**
 * Prisma's instrumentation has no requireParentSpan (pg's and ioredis' do): its spans outside any
 * trace (an outbox relay's poll, a sweeper's query every few hundred milliseconds) would each be a
 * trace of their own, flooding the backend with noise. They are dropped; inside a trace they follow it.
 */
class PrismaRootsDropped implements Sampler {
  constructor(private readonly inner: Sampler) {}

  shouldSample(
    ctx: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (spanName.startsWith('prisma:') && trace.getSpanContext(ctx) === undefined)
      return { decision: SamplingDecision.NOT_RECORD };
    return this.inner.shouldSample(ctx, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `PrismaRootsDropped{${this.inner.toString()}}`;
  }
}

function samplerOf(sampler: Sampler | NamedSampler): Sampler {
  if ('shouldSample' in sampler) return sampler;
  const { name, ratio = 1 } = sampler;
  const root = name.endsWith('always_on')
    ? new AlwaysOnSampler()
    : name.endsWith('always_off')
      ? new AlwaysOffSampler()
      : new TraceIdRatioBasedSampler(ratio);
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}
