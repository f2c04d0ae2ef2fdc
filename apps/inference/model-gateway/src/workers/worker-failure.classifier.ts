// Owns what a failed worker call means: whether it says the worker is broken (counts towards its
// circuit breaker), whether the same request may be retried on another worker before the first token,
// and the errors that carry those decisions through cockatiel's policies.
import { status } from '@grpc/grpc-js';

import { isServiceError } from './worker-client.adapter';

/** A worker call failed; `fault` marks failures of the worker itself (not of the request). */
export class WorkerCallError extends Error {
  override readonly name = 'WorkerCallError';

  constructor(
    readonly code: status,
    message: string,
    readonly fault: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
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
  if (isServiceError(error)) {
    const retryAfter = Number(error.metadata?.get('retry-after-ms')[0]);
    return new WorkerCallError(
      error.code,
      error.details || error.message,
      FAULT_CODES.has(error.code),
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  return new WorkerCallError(status.UNKNOWN, error instanceof Error ? error.message : String(error), true);
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
