// Owns the mapping of everything a handler throws to a gRPC status: ToolRunnerErrors keep their code
// and message; anything else is INTERNAL with an error id that the log line shares, never the raw
// message.
import { randomUUID } from 'node:crypto';

import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

import { ToolRunnerError } from '../errors/tool-runner.errors';

@Catch()
export class ToolRunnerExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown): Observable<never> {
    if (exception instanceof ToolRunnerError) {
      return throwError(() => ({
        code: exception.code,
        message: exception.message,
        details: exception.message,
      }));
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'unexpected error in a tool runner handler');
    const message = `internal error (error id ${errorId})`;
    return throwError(() => ({ code: status.INTERNAL, message, details: message }));
  }
}
