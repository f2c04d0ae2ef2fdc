// Owns the errors handlers throw for a bad request (as opposed to a failing tool, which is a result):
// each carries the gRPC status the exception filter returns, with a message safe to show.
import { status } from '@grpc/grpc-js';

export class ToolRunnerError extends Error {
  override readonly name = 'ToolRunnerError';

  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new ToolRunnerError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new ToolRunnerError(status.NOT_FOUND, message);
export const permissionDenied = (message: string) => new ToolRunnerError(status.PERMISSION_DENIED, message);
export const failedPrecondition = (message: string) =>
  new ToolRunnerError(status.FAILED_PRECONDITION, message);
