// Owns the one mapping from domain failures to gRPC statuses. Messages of client errors go back
// verbatim (they name the bad fields); an unexpected failure never leaks its message, only a
// reference id that the worker's log line carries too.
import { randomUUID } from 'node:crypto';

import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { UnknownModelError, WorkerDrainingError } from '../app/worker.errors';
import {
  DeadlineExceededError,
  EngineClosedError,
  InvalidRequestError,
  QueueFullError,
} from '../engine/engine.errors';

/** Trailing metadata key carrying how long to wait before retrying a RESOURCE_EXHAUSTED call. */
export const RETRY_AFTER_MS_KEY = 'retry-after-ms';
/** Trailing metadata key listing the bad request fields of an INVALID_ARGUMENT call, comma-separated. */
export const INVALID_FIELDS_KEY = 'invalid-fields';

/** What grpc-js's server turns into a status: code, details and trailing metadata. */
export interface GrpcError {
  readonly code: status;
  readonly message: string;
  readonly metadata: Metadata;
  /** Set for failures that were not expected (logged with this id). */
  readonly errorId?: string;
}

export function toGrpcError(error: unknown): GrpcError {
  const metadata = new Metadata();
  const of = (code: status, message: string): GrpcError => ({ code, message, metadata });
  if (error instanceof InvalidRequestError) {
    metadata.set(INVALID_FIELDS_KEY, error.problems.map((p) => p.field).join(','));
    return of(status.INVALID_ARGUMENT, error.message);
  }
  if (error instanceof UnknownModelError) return of(status.NOT_FOUND, error.message);
  if (error instanceof QueueFullError) {
    metadata.set(RETRY_AFTER_MS_KEY, String(Math.max(1, Math.ceil(error.retryAfterMs))));
    return of(status.RESOURCE_EXHAUSTED, error.message);
  }
  if (error instanceof DeadlineExceededError) return of(status.DEADLINE_EXCEEDED, error.message);
  if (error instanceof EngineClosedError || error instanceof WorkerDrainingError)
    return of(status.UNAVAILABLE, error.message);
  if (error instanceof RpcException) {
    const inner = error.getError();
    if (
      typeof inner === 'object' &&
      inner !== null &&
      typeof (inner as { code?: unknown }).code === 'number'
    ) {
      const { code, message } = inner as { code: status; message?: unknown };
      return of(code, typeof message === 'string' ? message : error.message);
    }
  }
  const errorId = randomUUID();
  return { code: status.INTERNAL, message: `internal error (reference ${errorId})`, metadata, errorId };
}
