import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { propagation, trace } from '@opentelemetry/api';
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

      const spanContext = await withSpan('local work', (span) => span.spanContext());
      await sut();

      expect(trace.isSpanContextValid(spanContext)).toBe(true);
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
});
