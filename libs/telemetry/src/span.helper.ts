// Owns the one way our code opens a span: active for the callback, error status and exception
// recorded on throw, always ended.
import {
  context,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';

export const TRACER_NAME = 'hearth';

export interface WithSpanOptions extends SpanOptions {
  /** Parent context, e.g. one extracted from gRPC metadata or Kafka headers; defaults to the active one. */
  parent?: Context;
}

export async function withSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  options: WithSpanOptions = {},
): Promise<T> {
  const { parent, ...spanOptions } = options;
  const tracer = trace.getTracer(TRACER_NAME);
  return tracer.startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The active span's trace id, or undefined outside a (valid) span: for events and error bodies. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
