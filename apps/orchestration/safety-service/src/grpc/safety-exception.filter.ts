// Maps errors to gRPC statuses: a refused request is INVALID_ARGUMENT with its message; anything
// unexpected is INTERNAL with a generic message and the trace id, logged here without request text.
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { ArgumentsHost, Catch, Inject, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';

import { SAFETY_LOGGER } from '../app/safety.constants';
import { requestContextOf } from './request-context';
import { InvalidSafetyRequestError } from './safety-request.error';

interface GrpcError {
  code: status;
  message: string;
}

@Catch()
export class SafetyExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(@Inject(SAFETY_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    return throwError(() => this.toGrpcError(exception, host));
  }

  private toGrpcError(exception: unknown, host: ArgumentsHost): GrpcError {
    if (exception instanceof InvalidSafetyRequestError) {
      return { code: status.INVALID_ARGUMENT, message: exception.message };
    }
    if (exception instanceof RpcException) {
      const error = exception.getError();
      return typeof error === 'object' && error !== null && 'code' in error
        ? (error as GrpcError)
        : { code: status.UNKNOWN, message: String(error) };
    }
    const { traceId } = requestContextOf(host.switchToRpc().getContext());
    this.logger.error({ err: exception, traceId }, 'safety check failed');
    return { code: status.INTERNAL, message: `internal error${traceId ? ` (trace ${traceId})` : ''}` };
  }
}
