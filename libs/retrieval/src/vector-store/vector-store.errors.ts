// Errors every adapter throws for the same causes, carrying the gRPC status the service should answer
// with, so context-service maps them without knowing which store is behind the port.
import { status } from '@grpc/grpc-js';

export class VectorStoreError extends Error {
  constructor(
    readonly code: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VectorStoreError';
  }

  static invalidArgument(message: string): VectorStoreError {
    return new VectorStoreError(status.INVALID_ARGUMENT, message);
  }

  static notFound(message: string): VectorStoreError {
    return new VectorStoreError(status.NOT_FOUND, message);
  }

  static failedPrecondition(message: string): VectorStoreError {
    return new VectorStoreError(status.FAILED_PRECONDITION, message);
  }

  static unavailable(message: string, cause?: unknown): VectorStoreError {
    return new VectorStoreError(status.UNAVAILABLE, message, { cause });
  }
}
