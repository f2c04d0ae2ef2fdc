// What a check needs to know about the call it serves besides the request body: the W3C trace id
// from the gRPC metadata (for audit and logs). Extracted with the W3C propagator directly, so it
// works whether or not the process registered a global OpenTelemetry propagator.
import { grpcMetadataGetter } from '@hearth/telemetry';

import type { Metadata } from '@grpc/grpc-js';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export interface RequestContext {
  /** 32 lowercase hex characters, or undefined when the caller sent no valid traceparent. */
  readonly traceId?: string;
}

const propagator = new W3CTraceContextPropagator();

export function requestContextOf(metadata: Metadata | undefined): RequestContext {
  if (!metadata) return {};
  const spanContext = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, metadata, grpcMetadataGetter));
  return spanContext && trace.isSpanContextValid(spanContext) ? { traceId: spanContext.traceId } : {};
}
