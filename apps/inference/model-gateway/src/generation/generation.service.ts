// Owns the Generate entry point: one GenerationRun per call, inside a server span that continues the
// caller's trace (so worker calls and the usage event carry it), cancelled when the caller goes away.
import { gatewayV1 } from '@hearth/contracts';
import { extractFromGrpcMetadata, TRACER_NAME } from '@hearth/telemetry';

import type { Metadata } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Observable } from 'rxjs';

import { GenerationRun, type GenerationDeps } from './generation.run';

export class GenerationService {
  constructor(private readonly deps: GenerationDeps) {}

  generate(
    request: gatewayV1.GenerateRequest,
    metadata: Metadata | undefined,
    callDeadline: number | undefined,
  ): Observable<gatewayV1.GenerateResponse> {
    return new Observable<gatewayV1.GenerateResponse>((subscriber) => {
      const parent = metadata ? extractFromGrpcMetadata(metadata, ROOT_CONTEXT) : ROOT_CONTEXT;
      const span = trace.getTracer(TRACER_NAME).startSpan(
        'hearth.gateway.v1.ModelGatewayService/Generate',
        {
          kind: SpanKind.SERVER,
          attributes: {
            'rpc.system': 'grpc',
            'hearth.request_id': request.requestId,
            'hearth.model': request.model,
          },
        },
        parent,
      );
      const spanContext = span.spanContext();
      const traceId = trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
      const run = new GenerationRun(this.deps, request, subscriber, callDeadline, traceId);
      context.with(trace.setSpan(parent, span), () => {
        run
          .execute()
          .catch((error: unknown) => {
            span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
            subscriber.error(error);
          })
          .finally(() => span.end());
      });
      return () => run.cancel();
    });
  }
}
