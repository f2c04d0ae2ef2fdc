// The one exception filter of every gRPC service: each failure of each rpc (thrown by a handler, or
// emitted by a stream) leaves as a status with its reason in google.rpc.ErrorInfo. Expected errors keep
// their code and message; an upstream's error follows the service's declared policy; anything else is
// INTERNAL with an error id that the log line carries too, never the raw message.
import { randomUUID } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import { Catch, Inject, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

import { currentRequestScope } from '../context/request-scope';
import { GrpcError } from '../errors/grpc-error';
import { toStatusPayload, type GrpcStatusPayload } from '../errors/grpc-status.codec';
import { resolveError } from './grpc-error.resolver';
import { GRPC_SERVER_OPTIONS, type GrpcServerOptions } from './grpc-server.options';

@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(@Inject(GRPC_SERVER_OPTIONS) private readonly options: GrpcServerOptions) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    return throwError(() => this.toPayload(exception, host));
  }

  toPayload(exception: unknown, host?: ArgumentsHost): GrpcStatusPayload {
    const resolved = resolveError(exception, this.options);
    if (resolved.kind === 'expected') return toStatusPayload(resolved.error, this.options.domain);
    if (resolved.kind === 'upstream') {
      const { original } = resolved;
      this.options.logger.warn(
        {
          upstream: original.upstream,
          code: original.code,
          reason: original.reason,
          details: original.message,
        },
        'upstream call failed',
      );
      return toStatusPayload(resolved.error, this.options.domain);
    }
    const errorId = randomUUID();
    const request = host?.switchToRpc().getData<{ requestId?: unknown } | undefined>();
    this.options.logger.error(
      {
        err: exception,
        errorId,
        requestId:
          currentRequestScope().requestId ??
          (typeof request?.requestId === 'string' && request.requestId !== ''
            ? request.requestId
            : undefined),
      },
      'unexpected error in a gRPC handler',
    );
    return toStatusPayload(
      new GrpcError(status.INTERNAL, 'INTERNAL', `internal error (error id ${errorId})`, {
        metadata: { errorId },
      }),
      this.options.domain,
    );
  }
}
