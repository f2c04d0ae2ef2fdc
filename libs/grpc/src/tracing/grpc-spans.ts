// Owns the spans of gRPC calls, named and attributed by the OpenTelemetry RPC semantic conventions
// (`rpc.system`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`): a CLIENT span per attempt of
// every typed client's call, whose context travels in the call's metadata, and a SERVER span per call
// a service handles, continuing the caller's trace; the handler runs with it active.
import { extractFromGrpcMetadata, injectIntoGrpcMetadata, TRACER_NAME } from '@hearth/telemetry';

import { InterceptingCall, Metadata, status, type Interceptor, type StatusObject } from '@grpc/grpc-js';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';

/** Codes a server reports as its own failure (the rest are the caller's doing). */
const SERVER_ERROR_CODES = new Set<status>([
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.UNIMPLEMENTED,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

function rpcAttributes(path: string): Record<string, string> {
  const [service = '', method = ''] = path.replace(/^\//, '').split('/');
  return { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method };
}

function endSpan(span: Span, code: status, isError: boolean, message?: string): void {
  span.setAttribute('rpc.grpc.status_code', code);
  if (isError) span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? status[code] });
  span.end();
}

/**
 * grpc-js client interceptor: a CLIENT span per attempt, its context injected into the metadata. Its
 * parent is the trace context the metadata already carries (the active span's, or one the caller set
 * by hand in `metadata`), else the active context.
 */
export function grpcClientTracingInterceptor(address: string): Interceptor {
  return (options, nextCall) => {
    const path = options.method_definition.path;
    const active = context.active();
    return new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        const span = trace
          .getTracer(TRACER_NAME)
          .startSpan(
            path.slice(1),
            { kind: SpanKind.CLIENT, attributes: { ...rpcAttributes(path), 'server.address': address } },
            extractFromGrpcMetadata(metadata, active),
          );
        injectIntoGrpcMetadata(metadata, trace.setSpan(active, span));
        next(metadata, {
          onReceiveStatus: (received: StatusObject, nextStatus) => {
            endSpan(span, received.code, received.code !== status.OK, received.details);
            nextStatus(received);
          },
        });
      },
    });
  };
}

export interface GrpcServerSpan {
  /** The caller's context with this call's SERVER span active: the handler runs in it. */
  readonly context: Context;
  end(code: status, error?: unknown): void;
}

/** A SERVER span for a call at `path`, child of the trace context the caller sent (if any). */
export function startGrpcServerSpan(path: string, metadata: Metadata | undefined): GrpcServerSpan {
  const parent = metadata ? extractFromGrpcMetadata(metadata, ROOT_CONTEXT) : ROOT_CONTEXT;
  const span = trace
    .getTracer(TRACER_NAME)
    .startSpan(path.replace(/^\//, ''), { kind: SpanKind.SERVER, attributes: rpcAttributes(path) }, parent);
  return {
    context: trace.setSpan(parent, span),
    end: (code, error) => {
      if (error instanceof Error && SERVER_ERROR_CODES.has(code)) span.recordException(error);
      endSpan(span, code, SERVER_ERROR_CODES.has(code), error instanceof Error ? error.message : undefined);
    },
  };
}
