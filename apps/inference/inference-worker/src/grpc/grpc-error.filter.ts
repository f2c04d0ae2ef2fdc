// The worker's only exception filter: every failure of every RPC (thrown by a controller, or emitted
// by a Generate stream after its first message) leaves through toGrpcError, so one table decides the
// status codes. Unexpected failures are logged with the id the client sees.
import type { Logger } from '@hearth/telemetry';

import { ArgumentsHost, Catch, Inject, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

import { WORKER_LOGGER } from '../app/worker.constants';
import { GrpcError, toGrpcError } from './grpc-error.mapper';

@Catch()
export class GrpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(@Inject(WORKER_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<GrpcError> {
    const error = toGrpcError(exception);
    if (error.errorId !== undefined) {
      const request = host.switchToRpc().getData<{ requestId?: unknown } | undefined>();
      this.logger.error(
        { err: exception, errorId: error.errorId, requestId: request?.requestId },
        'unexpected failure in an RPC',
      );
    }
    return throwError(() => error);
  }
}
