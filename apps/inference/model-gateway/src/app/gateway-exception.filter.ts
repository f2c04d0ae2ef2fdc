// Owns the mapping of everything a handler throws to a gRPC status: GatewayErrors keep their code
// and message (plus `retry-after-ms` and `quota-reset-at` trailers when they say when to retry);
// anything else is INTERNAL with an error id that the log line shares, never the raw message.
import { randomUUID } from 'node:crypto';

import type { Logger } from '@hearth/telemetry';

import { Metadata, status } from '@grpc/grpc-js';
import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';

import { GatewayError } from '../errors/gateway.errors';

export interface GrpcErrorPayload {
  code: status;
  message: string;
  details: string;
  metadata?: Metadata;
}

@Catch()
export class GatewayExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown): Observable<never> {
    return throwError(() => this.toPayload(exception));
  }

  toPayload(exception: unknown): GrpcErrorPayload {
    if (exception instanceof GatewayError) {
      const metadata = new Metadata();
      if (exception.details.retryAfterMs !== undefined)
        metadata.set('retry-after-ms', String(exception.details.retryAfterMs));
      if (exception.details.resetAt) metadata.set('quota-reset-at', exception.details.resetAt.toISOString());
      return { code: exception.code, message: exception.message, details: exception.message, metadata };
    }
    if (exception instanceof RpcException) {
      const error = exception.getError();
      if (
        typeof error === 'object' &&
        error !== null &&
        typeof (error as { code?: unknown }).code === 'number'
      ) {
        const { code, message } = error as { code: status; message?: string };
        return { code, message: message ?? status[code], details: message ?? status[code] };
      }
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'unexpected error in a gateway handler');
    const message = `internal error (error id ${errorId})`;
    return { code: status.INTERNAL, message, details: message };
  }
}
