// Owns the orchestrator's domain errors raised before a turn starts: each carries the gRPC status it
// maps to and a message safe to show callers. OrchestratorExceptionFilter turns them into statuses;
// failures after a turn started travel as an `error` event instead.
import { status } from '@grpc/grpc-js';

export class OrchestratorError extends Error {
  override readonly name: string = 'OrchestratorError';

  constructor(
    readonly code: status,
    message: string,
    readonly details: { retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new OrchestratorError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new OrchestratorError(status.NOT_FOUND, message);
export const alreadyExists = (message: string) => new OrchestratorError(status.ALREADY_EXISTS, message);
export const permissionDenied = (message: string) => new OrchestratorError(status.PERMISSION_DENIED, message);
export const failedPrecondition = (message: string) =>
  new OrchestratorError(status.FAILED_PRECONDITION, message);
export const unavailable = (message: string) => new OrchestratorError(status.UNAVAILABLE, message);
