// Owns the worker's own domain failures (the engine's live in engine/engine.errors.ts): GrpcErrors,
// each with its status code and reason.
import { GrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

/** The request names a model this worker has not loaded (a misrouted call). */
export class UnknownModelError extends GrpcError {
  override readonly name = 'UnknownModelError';
  constructor(
    readonly requested: string,
    readonly loaded: string,
  ) {
    super(
      status.NOT_FOUND,
      'MODEL_NOT_SERVED',
      `model_id "${requested}" is not served here; this worker serves "${loaded}"`,
      { metadata: { requested, loaded } },
    );
  }
}

/** The worker is draining (shutting down): it finishes running work but admits nothing new. */
export class WorkerDrainingError extends GrpcError {
  override readonly name = 'WorkerDrainingError';
  constructor(message = 'the inference worker is draining; retry on another worker') {
    super(status.UNAVAILABLE, 'WORKER_DRAINING', message);
  }
}
