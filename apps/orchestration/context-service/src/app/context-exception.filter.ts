// Owns the mapping of everything a handler throws to a gRPC status: ContextErrors keep their code
// and message, gRPC errors from the gateway keep their code (a quota or an unknown model is the
// caller's business), anything else is INTERNAL with an error id the log line shares.
import { randomUUID } from 'node:crypto';

import { VectorStoreError } from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

import { ContextError } from '../errors/context.errors';
import { isServiceError } from '../gateway/model-gateway.adapter';

export interface GrpcErrorPayload {
  code: status;
  message: string;
  details: string;
}

// Gateway statuses passed on as they are; others (INTERNAL, UNKNOWN, ...) become UNAVAILABLE.
const PASSED_ON = new Set<status>([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.RESOURCE_EXHAUSTED,
  status.DEADLINE_EXCEEDED,
  status.UNAVAILABLE,
  status.PERMISSION_DENIED,
]);

@Catch()
export class ContextExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown): Observable<never> {
    return throwError(() => this.toPayload(exception));
  }

  toPayload(exception: unknown): GrpcErrorPayload {
    if (exception instanceof ContextError) {
      return { code: exception.code, message: exception.message, details: exception.message };
    }
    if (exception instanceof VectorStoreError) {
      // The index is ours: a bad request to it is our bug, an unreachable Qdrant is UNAVAILABLE.
      const code = exception.code === status.UNAVAILABLE ? status.UNAVAILABLE : status.INTERNAL;
      this.logger.error({ err: exception }, 'vector store call failed');
      const message = code === status.UNAVAILABLE ? 'vector store unavailable' : 'vector store error';
      return { code, message, details: message };
    }
    if (isServiceError(exception)) {
      const code = PASSED_ON.has(exception.code) ? exception.code : status.UNAVAILABLE;
      const message = `model gateway: ${exception.details || status[exception.code]}`;
      this.logger.warn({ code: exception.code, details: exception.details }, 'gateway call failed');
      return { code, message, details: message };
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'unexpected error in a context handler');
    const message = `internal error (error id ${errorId})`;
    return { code: status.INTERNAL, message, details: message };
  }
}
