// Owns the mapping of everything a handler throws before a turn starts to a gRPC status:
// OrchestratorErrors keep their code and message; @hearth/db's not-found becomes NOT_FOUND; anything
// else is INTERNAL with an error id that the log line shares, never the raw message.
import { randomUUID } from 'node:crypto';

import { ConversationNotFoundError } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

import { Metadata, status } from '@grpc/grpc-js';
import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

import { OrchestratorError } from '../errors/orchestrator.errors';

export interface GrpcErrorPayload {
  code: status;
  message: string;
  details: string;
  metadata?: Metadata;
}

@Catch()
export class OrchestratorExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown): Observable<never> {
    return throwError(() => this.toPayload(exception));
  }

  toPayload(exception: unknown): GrpcErrorPayload {
    if (exception instanceof OrchestratorError) {
      const metadata = new Metadata();
      if (exception.details.retryAfterMs !== undefined)
        metadata.set('retry-after-ms', String(exception.details.retryAfterMs));
      return { code: exception.code, message: exception.message, details: exception.message, metadata };
    }
    if (exception instanceof ConversationNotFoundError) {
      const message = 'conversation not found';
      return { code: status.NOT_FOUND, message, details: message };
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'unexpected error in an orchestrator handler');
    const message = `internal error (error id ${errorId})`;
    return { code: status.INTERNAL, message, details: message };
  }
}
