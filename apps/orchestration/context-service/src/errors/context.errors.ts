// Domain errors of the context service, each carrying the gRPC status it maps to; the exception
// filter turns them into statuses with their message (they never carry secrets or stored text).
import { status } from '@grpc/grpc-js';

export class ContextError extends Error {
  override readonly name = 'ContextError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string) => new ContextError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new ContextError(status.NOT_FOUND, message);
export const failedPrecondition = (message: string) => new ContextError(status.FAILED_PRECONDITION, message);
export const unavailable = (message: string) => new ContextError(status.UNAVAILABLE, message);
export const unimplemented = (message: string) => new ContextError(status.UNIMPLEMENTED, message);
