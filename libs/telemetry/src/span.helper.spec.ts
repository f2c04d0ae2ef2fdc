import { SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';

import { activeTraceId, withSpan } from './span.helper';
import { startTelemetry, type TelemetryShutdown } from './telemetry-sdk.setup';

describe(withSpan.name, () => {
  const exporter = new InMemorySpanExporter();
  let shutdown: TelemetryShutdown;

  beforeAll(() => {
    shutdown = startTelemetry({
      serviceName: 'span-spec',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
  });

  afterAll(async () => {
    await shutdown();
  });

  beforeEach(() => exporter.reset());

  it('makes the span active for the callback and ends it with its result', async () => {
    const result = await withSpan('outer', async (outer) => {
      expect(activeTraceId()).toBe(outer.spanContext().traceId);
      return withSpan('inner', () => 42);
    });

    const [inner, outer] = exporter.getFinishedSpans();
    expect(result).toBe(42);
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('records the error and rethrows it', async () => {
    await expect(
      withSpan('failing', async () => {
        throw new Error('upstream unavailable');
      }),
    ).rejects.toThrow('upstream unavailable');

    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'upstream unavailable' });
    expect(span.events[0]?.name).toBe('exception');
  });

  it('reports no trace id outside a span', () => {
    expect(activeTraceId()).toBeUndefined();
  });
});
