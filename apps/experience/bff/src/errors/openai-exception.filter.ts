// Owns how every failure leaves the BFF: OpenAI's error envelope with the right status and headers.
// ApiErrors pass through; Nest's HttpExceptions (unknown route, wrong method) keep their status; gRPC
// errors (GrpcErrors from the upstream clients) are mapped; anything else is a 500 whose body
// carries only the request id the logs share.
import { isTransientDbError } from '@hearth/db';
import { GrpcError } from '@hearth/grpc';
import { isRedisUnavailableError } from '@hearth/redis';
import type { Logger } from '@hearth/telemetry';

import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';

import type { BffRequest } from '../http/bff-request';
import { ApiError } from './api.error';
import { apiErrorFromGrpc } from './grpc-status.mapper';

@Catch()
export class OpenAiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<BffRequest>();
    const res = http.getResponse<Response>();
    const error = this.toApiError(exception, req);
    sendApiError(res, error);
  }

  private toApiError(exception: unknown, req: BffRequest): ApiError {
    if (exception instanceof ApiError) return exception;
    if (exception instanceof GrpcError) {
      const mapped = apiErrorFromGrpc(exception);
      if (mapped.status >= 500) {
        this.logger.error(
          { err: exception, requestId: req.requestId, path: req.path },
          'upstream call failed',
        );
      }
      return mapped;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const message = status === 404 ? `Unknown request URL: ${req.method} ${req.path}.` : exception.message;
      return new ApiError(status, message, { code: status === 404 ? 'unknown_url' : null });
    }
    if (isTransientDbError(exception) || isRedisUnavailableError(exception)) {
      // PostgreSQL or Redis away (a restart, a failover) where the request needs it: it may succeed in
      // a moment. (Limits and caches fail open instead and never get here.)
      this.logger.warn({ err: exception, requestId: req.requestId, path: req.path }, 'store unavailable');
      return new ApiError(503, 'The service is temporarily unavailable; retry after 2 s.', {
        code: 'service_unavailable',
        headers: { 'retry-after': '2' },
      });
    }
    this.logger.error({ err: exception, requestId: req.requestId, path: req.path }, 'request failed');
    return internalError(req.requestId);
  }
}

export function internalError(requestId: string): ApiError {
  return new ApiError(
    500,
    `The server had an error while processing your request (request id ${requestId}).`,
    { code: 'internal_error' },
  );
}

/** Writes an ApiError (unless the response already started, e.g. an SSE stream). */
export function sendApiError(res: Response, error: ApiError): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).json(error.toBody());
}
