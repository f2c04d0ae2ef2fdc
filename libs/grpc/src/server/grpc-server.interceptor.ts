// Wraps every rpc of a service: opens its SERVER span (continuing the caller's trace) and the request
// scope (the incoming request id, which outgoing calls then carry), both active while the handler runs
// and while its answer is subscribed to, and runs the server hooks at the call's start and end with
// the status it ended with; the RED metrics hook always runs first. Each call ends with a debug line
// (method, status, duration, request id) written in its span, so it carries the trace id.
import { MalformedMessage } from '@hearth/contracts';

import { status, type Metadata } from '@grpc/grpc-js';
import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { context as otelContext } from '@opentelemetry/api';
import { finalize, map, Observable, tap, throwError, type MonoTypeOperatorFunction } from 'rxjs';

import { requestIdOf, runInRequestScope } from '../context/request-scope';
import { invalidArgument, type GrpcError } from '../errors/grpc-error';
import { grpcServerMetricsHook } from '../metrics/grpc-metrics.hooks';
import { sharedGrpcMetrics } from '../metrics/grpc.metrics';
import { startGrpcServerSpan } from '../tracing/grpc-spans';
import { resolveError } from './grpc-error.resolver';
import type { GrpcServerCallOutcome, GrpcServerHook } from './grpc-server.hook';
import { GRPC_SERVER_OPTIONS, type GrpcServerOptions } from './grpc-server.options';

@Injectable()
export class GrpcServerInterceptor implements NestInterceptor {
  private readonly hooks: readonly GrpcServerHook[];

  constructor(@Inject(GRPC_SERVER_OPTIONS) private readonly options: GrpcServerOptions) {
    this.hooks = [grpcServerMetricsHook(options.metrics ?? sharedGrpcMetrics()), ...(options.hooks ?? [])];
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const metadata = context.switchToRpc().getContext<Metadata | undefined>();
    const call = context.getArgByIndex<{ getPath?(): string } | undefined>(2);
    const requestId = requestIdOf(metadata);
    const path = call?.getPath?.() ?? `/${context.getClass().name}/${context.getHandler().name}`;
    const span = startGrpcServerSpan(path, metadata);
    const started = performance.now();
    const ends = this.hooks
      .map((hook) => hook.onCall({ path, metadata: metadata as Metadata, requestId }))
      .filter((end): end is (outcome: GrpcServerCallOutcome) => void => typeof end === 'function');
    let ended = false;
    const end = (outcome: GrpcServerCallOutcome) => {
      if (ended) return;
      ended = true;
      otelContext.with(span.context, () =>
        this.options.logger.debug(
          {
            rpc: path,
            code: status[outcome.code],
            durationMs: Math.round(performance.now() - started),
            requestId,
          },
          'rpc handled',
        ),
      );
      span.end(outcome.code, outcome.error);
      for (const hook of ends) hook(outcome);
    };
    // A request that did not decode is the caller's fault (see MalformedMessage); a client stream's
    // handler checks its messages with rejectMalformedMessages().
    const data = context.switchToRpc().getData<unknown>();
    // next.handle() binds the handler to the async context it is called in: the scope reaches it.
    const handled = () =>
      data instanceof MalformedMessage ? throwError(() => malformedRequest(data)) : next.handle();
    // A handler's Observable may do its work when subscribed, after intercept() returned: the
    // subscription runs inside the span and the scope too.
    const traced = new Observable<unknown>((subscriber) =>
      otelContext.with(span.context, () =>
        runInRequestScope({ requestId }, () => handled().subscribe(subscriber)),
      ),
    );
    return traced.pipe(
      tap({
        complete: () => end({ code: status.OK }),
        error: (error: unknown) => {
          const resolved = resolveError(error, this.options);
          end({ code: resolved.kind === 'unexpected' ? status.INTERNAL : resolved.error.code, error });
        },
      }),
      finalize(() => end({ code: status.CANCELLED })),
    );
  }
}

function malformedRequest(message: MalformedMessage): GrpcError {
  return invalidArgument(
    'MALFORMED_REQUEST',
    `the request is not a valid ${message.type} message: ${message.reason}`,
    { type: message.type },
  );
}

/**
 * For a client stream's handler: its request stream fails with INVALID_ARGUMENT at the first message
 * that did not decode, instead of passing it on as a message without fields.
 */
export function rejectMalformedMessages<T>(): MonoTypeOperatorFunction<T> {
  return map((message) => {
    if (message instanceof MalformedMessage) throw malformedRequest(message);
    return message;
  });
}
