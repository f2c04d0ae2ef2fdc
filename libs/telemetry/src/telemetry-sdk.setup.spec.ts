import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';

import { withSpan } from './span.helper';
import { startTelemetry } from './telemetry-sdk.setup';

describe(startTelemetry.name, () => {
  it('creates valid trace ids but exports nothing without an endpoint', async () => {
    let requests = 0;
    const listener: Server = createServer((_req, res) => {
      requests++;
      res.end();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      const sut = startTelemetry({ serviceName: 'quiet-service' });

      const [spanContext, recording] = await withSpan('local work', (span) => [
        span.spanContext(),
        span.isRecording(),
      ]);
      await sut();

      expect(trace.isSpanContextValid(spanContext)).toBe(true);
      // Nothing can read a span here, so none is recorded; the ids still correlate logs and answers.
      expect(recording).toBe(false);
      expect(spanContext.traceFlags).toBe(TraceFlags.NONE);
      expect(requests).toBe(0);
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('registers the W3C trace-context and baggage propagators', async () => {
    const sut = startTelemetry({ serviceName: 'fields-service' });
    try {
      expect(propagation.fields()).toEqual(expect.arrayContaining(['traceparent', 'tracestate', 'baggage']));
    } finally {
      await sut();
    }
  });

  it('can be started again after shutdown (globals are released)', async () => {
    const exporter = new InMemorySpanExporter();
    await startTelemetry({ serviceName: 'first' })();
    const sut = startTelemetry({
      serviceName: 'second',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });

    await withSpan('after restart', () => undefined);
    // Read before shutdown: shutting the provider down also clears the in-memory exporter.
    const services = exporter.getFinishedSpans().map((span) => span.resource.attributes['service.name']);
    await sut();

    expect(services).toEqual(['second']);
  });

  it('registers nothing when disabled: spans are no-ops without ids', async () => {
    const exporter = new InMemorySpanExporter();
    const sut = startTelemetry({
      serviceName: 'off',
      disabled: true,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });

    const spanContext = await withSpan('untraced', (span) => span.spanContext());
    await sut();

    expect(trace.isSpanContextValid(spanContext)).toBe(false);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it.each([
    [{ name: 'always_off' } as const, false],
    [{ name: 'traceidratio', ratio: 0 } as const, false],
    [{ name: 'parentbased_traceidratio', ratio: 1 } as const, true],
  ])('samples new roots by the named sampler %o', async (sampler, sampled) => {
    const exporter = new InMemorySpanExporter();
    const sut = startTelemetry({
      serviceName: 'sampled',
      sampler,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });

    const spanContext = await withSpan('root', (span) => span.spanContext());
    const exported = exporter.getFinishedSpans().length;
    await sut();

    // Ids are made either way (logs and headers still correlate); only sampled spans are recorded.
    expect(trace.isSpanContextValid(spanContext)).toBe(true);
    expect(exported).toBe(sampled ? 1 : 0);
  });

  it('follows a sampled caller under a parent-based ratio sampler that would drop a new root', async () => {
    const exporter = new InMemorySpanExporter();
    const sut = startTelemetry({
      serviceName: 'child',
      sampler: { name: 'parentbased_traceidratio', ratio: 0 },
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const parent = propagation.extract(ROOT_CONTEXT, {
      traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
    });

    await withSpan('continued', () => undefined, { parent });
    await withSpan('new root', () => undefined);
    const names = exporter.getFinishedSpans().map((span) => span.name);
    await sut();

    expect(names).toEqual(['continued']);
  });

  it("drops Prisma's spans outside any trace and keeps them inside one", async () => {
    const exporter = new InMemorySpanExporter();
    const sut = startTelemetry({ serviceName: 'db', spanProcessors: [new SimpleSpanProcessor(exporter)] });

    await withSpan('prisma:client:operation', () => undefined);
    await withSpan('turn', () => withSpan('prisma:client:operation', () => undefined));
    const names = exporter.getFinishedSpans().map((span) => span.name);
    await sut();

    expect(names).toEqual(['prisma:client:operation', 'turn']);
  });
});
