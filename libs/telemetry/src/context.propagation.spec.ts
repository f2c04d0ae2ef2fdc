import { Metadata } from '@grpc/grpc-js';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { IHeaders } from 'kafkajs';

import {
  extractFromGrpcMetadata,
  extractFromKafkaHeaders,
  injectIntoGrpcMetadata,
  injectIntoKafkaHeaders,
} from './context.propagation';
import { withSpan } from './span.helper';
import { startTelemetry, type TelemetryShutdown } from './telemetry-sdk.setup';

/** What kafkajs hands a consumer: every header value as a Buffer. */
function asReceivedByConsumer(headers: IHeaders): IHeaders {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, Buffer.from(String(value))]));
}

describe('context propagation', () => {
  const exporter = new InMemorySpanExporter();
  let shutdown: TelemetryShutdown;

  beforeAll(() => {
    shutdown = startTelemetry({
      serviceName: 'propagation-spec',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
  });

  afterAll(async () => {
    await shutdown();
  });

  beforeEach(() => exporter.reset());

  describe('gRPC metadata', () => {
    it('carries the trace id and the caller span as parent across a round trip', async () => {
      const { metadata, caller } = await withSpan('client call', (span) => ({
        metadata: injectIntoGrpcMetadata(new Metadata()),
        caller: span.spanContext(),
      }));

      expect(metadata.get('traceparent')[0]).toMatch(
        new RegExp(`^00-${caller.traceId}-${caller.spanId}-01$`),
      );

      const server = await withSpan('server handler', (span) => span.spanContext(), {
        parent: extractFromGrpcMetadata(metadata, ROOT_CONTEXT),
      });
      const handled = exporter.getFinishedSpans().find((span) => span.name === 'server handler');

      expect(server.traceId).toBe(caller.traceId);
      expect(handled?.parentSpanContext?.spanId).toBe(caller.spanId);
    });

    it('carries baggage alongside the trace context', () => {
      const withBaggage = propagation.setBaggage(
        context.active(),
        propagation.createBaggage({ 'tenant.id': { value: 't-1' } }),
      );

      const metadata = injectIntoGrpcMetadata(new Metadata(), withBaggage);
      const extracted = extractFromGrpcMetadata(metadata, ROOT_CONTEXT);

      expect(propagation.getBaggage(extracted)?.getEntry('tenant.id')?.value).toBe('t-1');
    });

    it('starts a fresh root when the caller sent a garbled traceparent', () => {
      const metadata = new Metadata();
      metadata.set('traceparent', 'not-a-trace-context');

      const extracted = extractFromGrpcMetadata(metadata, ROOT_CONTEXT);

      expect(trace.getSpanContext(extracted)).toBeUndefined();
    });
  });

  describe('Kafka headers', () => {
    it('carries the trace id and the producer span as parent when values arrive as Buffers', async () => {
      const { headers, producer } = await withSpan('produce', (span) => ({
        headers: injectIntoKafkaHeaders({ 'event-id': 'e-1' }),
        producer: span.spanContext(),
      }));

      const received = asReceivedByConsumer(headers);
      const consumer = await withSpan('consume', (span) => span.spanContext(), {
        parent: extractFromKafkaHeaders(received, ROOT_CONTEXT),
      });
      const consumed = exporter.getFinishedSpans().find((span) => span.name === 'consume');

      expect(received['event-id']).toEqual(Buffer.from('e-1'));
      expect(consumer.traceId).toBe(producer.traceId);
      expect(consumed?.parentSpanContext?.spanId).toBe(producer.spanId);
    });

    it('yields no remote parent for a message without headers', () => {
      expect(trace.getSpanContext(extractFromKafkaHeaders(undefined, ROOT_CONTEXT))).toBeUndefined();
    });
  });
});
