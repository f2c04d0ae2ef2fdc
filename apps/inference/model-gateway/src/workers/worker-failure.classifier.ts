// Owns what a failed worker call means: whether it says the worker is broken (counts towards its
// circuit breaker), whether the same request may be retried on another worker before the first token,
// and the errors that carry those decisions through cockatiel's policies.
import { defaultReason, GrpcError, toGrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

/** A worker call failed; `fault` marks failures of the worker itself (not of the request). */
export class WorkerCallError extends Error {
  override readonly name = 'WorkerCallError';

  constructor(
    readonly code: status,
    message: string,
    readonly fault: boolean,
    readonly retryAfterMs?: number,
    /** The worker's reason and ErrorInfo metadata, passed on when its answer is the gateway's. */
    readonly reason: string = defaultReason(code),
    readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** The worker's answer as the gateway's own error (its code, reason, message and metadata). */
  passOn(): GrpcError {
    return new GrpcError(this.code, this.reason, this.message, { metadata: this.metadata });
  }
}

// The worker or the path to it is broken: connection refused or reset, crash, bug. RESOURCE_EXHAUSTED
// is a healthy but full worker, and DEADLINE_EXCEEDED is usually the caller's tight deadline: neither
// ejects a worker (a worker that stops answering still fails its Stats probes with UNAVAILABLE or by
// timing out, and those do count, see isStatsFault).
const FAULT_CODES = new Set<status>([
  status.UNAVAILABLE,
  status.INTERNAL,
  status.UNKNOWN,
  status.DATA_LOSS,
  status.UNIMPLEMENTED,
]);

// Worth another worker before the first token: the next one may be reachable, free or faster.
// NOT_FOUND means this worker has another model loaded than its Stats said (a restart in between).
const RETRYABLE_CODES = new Set<status>([
  status.UNAVAILABLE,
  status.RESOURCE_EXHAUSTED,
  status.DEADLINE_EXCEEDED,
  status.INTERNAL,
  status.UNKNOWN,
  status.DATA_LOSS,
  status.UNIMPLEMENTED,
  status.NOT_FOUND,
  status.ABORTED,
]);

export function isRetryableBeforeFirstToken(code: status): boolean {
  return RETRYABLE_CODES.has(code);
}

/** Maps anything a worker call threw to a WorkerCallError. */
export function toWorkerCallError(error: unknown): WorkerCallError {
  if (error instanceof WorkerCallError) return error;
  // Anything that is not a status (a bug in the call path) reads as UNKNOWN: a fault of the worker.
  const failure = toGrpcError(error, 'inference worker');
  const retryAfterMs =
    failure.retryAfterMs !== undefined && failure.retryAfterMs > 0 ? failure.retryAfterMs : undefined;
  return new WorkerCallError(
    failure.code,
    failure.message,
    FAULT_CODES.has(failure.code),
    retryAfterMs,
    failure.reason,
    failure.metadata,
  );
}

/** Every failed Stats poll counts: a worker that cannot answer Stats in time cannot serve either. */
export function toStatsFault(error: unknown): WorkerCallError {
  const mapped = toWorkerCallError(error);
  return new WorkerCallError(mapped.code, mapped.message, true);
}

/** Whether an error counts against a worker's breaker: any error that says so with `fault: true`. */
export function isFault(error: unknown): boolean {
  return error instanceof Error && (error as Partial<{ fault: unknown }>).fault === true;
}
