// Owns the platform's one error model across gRPC: a status code, a machine-readable reason (what
// callers switch on, never the message text), a message safe to show the caller, ErrorInfo metadata
// (ids a caller needs to act), and when a retry may succeed. Domain code throws these; the server
// exception filter sends them as `google.rpc.Status` details, and the client decodes them back into
// the same class, so an error keeps its reason across every hop.
import { status } from '@grpc/grpc-js';

export interface GrpcErrorOptions {
  /** ErrorInfo metadata: ids and values a caller needs to act on the error (never secrets or user text). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** When a retry may succeed: sent as `google.rpc.RetryInfo` and as the `retry-after-ms` trailer. */
  readonly retryAfterMs?: number;
  /** Further text trailers a contract documents (the gateway's `quota-reset-at`, the worker's `invalid-fields`). */
  readonly trailers?: Readonly<Record<string, string>>;
  /** ErrorInfo domain (the service that owns the reason); the exception filter fills in its own when unset. */
  readonly domain?: string;
  /** Set on errors decoded from another service's status: which upstream answered (e.g. "model gateway"). */
  readonly upstream?: string;
  readonly cause?: unknown;
}

export class GrpcError extends Error {
  override readonly name: string = 'GrpcError';
  readonly metadata: Readonly<Record<string, string>>;
  readonly retryAfterMs?: number;
  readonly trailers: Readonly<Record<string, string>>;
  readonly domain?: string;
  readonly upstream?: string;

  constructor(
    readonly code: status,
    /** UPPER_SNAKE_CASE, stable: callers branch on it (`FILE_NOT_FOUND`, `QUEUE_FULL`). */
    readonly reason: string,
    message: string,
    options: GrpcErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.metadata = options.metadata ?? {};
    this.retryAfterMs = options.retryAfterMs;
    this.trailers = options.trailers ?? {};
    this.domain = options.domain;
    this.upstream = options.upstream;
  }

  /** The status name of the code, e.g. `NOT_FOUND`. */
  get codeName(): string {
    return status[this.code] ?? `CODE_${this.code}`;
  }
}

/** The reason of an error thrown with a message only: the status name (`INVALID_ARGUMENT`). */
export function defaultReason(code: status): string {
  return status[code] ?? 'UNKNOWN';
}

/**
 * Builds GrpcErrors of one status code. `(message)` uses the status name as the reason, for errors no
 * caller needs to tell apart; `(reason, message, metadata?, options?)` names the case.
 */
export interface GrpcErrorFactory {
  (message: string): GrpcError;
  (
    reason: string,
    message: string,
    metadata?: Readonly<Record<string, string>>,
    options?: Omit<GrpcErrorOptions, 'metadata'>,
  ): GrpcError;
}

function factoryOf(code: status): GrpcErrorFactory {
  return ((
    first: string,
    message?: string,
    metadata?: Readonly<Record<string, string>>,
    options?: Omit<GrpcErrorOptions, 'metadata'>,
  ) =>
    message === undefined
      ? new GrpcError(code, defaultReason(code), first)
      : new GrpcError(code, first, message, { ...options, metadata })) as GrpcErrorFactory;
}

export const invalidArgument = factoryOf(status.INVALID_ARGUMENT);
export const notFound = factoryOf(status.NOT_FOUND);
export const alreadyExists = factoryOf(status.ALREADY_EXISTS);
export const permissionDenied = factoryOf(status.PERMISSION_DENIED);
export const failedPrecondition = factoryOf(status.FAILED_PRECONDITION);
export const resourceExhausted = factoryOf(status.RESOURCE_EXHAUSTED);
export const deadlineExceeded = factoryOf(status.DEADLINE_EXCEEDED);
export const unavailable = factoryOf(status.UNAVAILABLE);
export const unimplemented = factoryOf(status.UNIMPLEMENTED);
export const cancelled = factoryOf(status.CANCELLED);
export const aborted = factoryOf(status.ABORTED);
