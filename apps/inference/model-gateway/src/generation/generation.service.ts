// Owns the Generate entry point: one GenerationRun per call, inside a span under the call's server span
// (so worker calls and the usage event carry the caller's trace), cancelled when the caller goes away.
import { gatewayV1 } from '@hearth/contracts';
import { TRACER_NAME } from '@hearth/telemetry';

import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { Observable } from 'rxjs';

import { GenerationRun, type GenerationDeps } from './generation.run';

export class GenerationService {
  constructor(private readonly deps: GenerationDeps) {}

  generate(
    request: gatewayV1.GenerateRequest,
    callDeadline: number | undefined,
  ): Observable<gatewayV1.GenerateResponse> {
    return new Observable<gatewayV1.GenerateResponse>((subscriber) => {
      const parent = context.active();
      const span = trace.getTracer(TRACER_NAME).startSpan(
        'gateway.generate',
        {
          attributes: {
            'hearth.request_id': request.requestId,
            'gen_ai.request.model': request.model,
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
