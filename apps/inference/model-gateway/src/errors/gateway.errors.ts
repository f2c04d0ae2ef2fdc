// Owns the gateway's domain errors: each carries the gRPC status it maps to, a message safe to show
// callers, and for RESOURCE_EXHAUSTED when to retry. GatewayExceptionFilter turns them into statuses.
import { status } from '@grpc/grpc-js';

export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';

  constructor(
    readonly code: status,
    message: string,
    readonly details: { retryAfterMs?: number; resetAt?: Date } = {},
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new GatewayError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new GatewayError(status.NOT_FOUND, message);
export const unavailable = (message: string) => new GatewayError(status.UNAVAILABLE, message);
export const deadlineExceeded = (message: string) => new GatewayError(status.DEADLINE_EXCEEDED, message);
export const resourceExhausted = (message: string, retryAfterMs: number, resetAt?: Date) =>
  new GatewayError(status.RESOURCE_EXHAUSTED, message, {
    retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)),
    resetAt,
  });
export const failedPrecondition = (message: string) => new GatewayError(status.FAILED_PRECONDITION, message);
