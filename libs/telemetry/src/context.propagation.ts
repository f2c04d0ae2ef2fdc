// Owns moving the W3C trace context (traceparent, tracestate, baggage) across process boundaries:
// gRPC metadata between services and Kafka message headers between producers and consumers.
import { Metadata } from '@grpc/grpc-js';
import {
  context,
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

export const grpcMetadataSetter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

export const grpcMetadataGetter: TextMapGetter<Metadata> = {
  keys(carrier) {
    return Object.keys(carrier.getMap());
  },
  get(carrier, key) {
    // gRPC keeps binary values (`-bin` keys) as Buffers; propagators only read text ones.
    const values = carrier
      .get(key)
      .map((value) => (typeof value === 'string' ? value : value.toString('utf8')));
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};

export const kafkaHeadersSetter: TextMapSetter<IHeaders> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

export const kafkaHeadersGetter: TextMapGetter<IHeaders> = {
  keys(carrier) {
    return Object.keys(carrier);
  },
  get(carrier, key) {
    // kafkajs hands consumers Buffers; a producer-side carrier may still hold strings.
    const value = carrier[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value.map(headerText);
    return headerText(value);
  },
};

function headerText(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

export function injectIntoGrpcMetadata(
  metadata: Metadata = new Metadata(),
  ctx: Context = context.active(),
): Metadata {
  propagation.inject(ctx, metadata, grpcMetadataSetter);
  return metadata;
}

export function extractFromGrpcMetadata(metadata: Metadata, ctx: Context = context.active()): Context {
  return propagation.extract(ctx, metadata, grpcMetadataGetter);
}

export function injectIntoKafkaHeaders(headers: IHeaders = {}, ctx: Context = context.active()): IHeaders {
  propagation.inject(ctx, headers, kafkaHeadersSetter);
  return headers;
}

export function extractFromKafkaHeaders(
  headers: IHeaders | undefined,
  ctx: Context = context.active(),
): Context {
  return propagation.extract(ctx, headers ?? {}, kafkaHeadersGetter);
}
