// Owns the worker's own domain failures (the engine's live in engine/engine.errors.ts); the gRPC
// error mapper turns each into one status code.

/** The request names a model this worker has not loaded (a misrouted call). → NOT_FOUND */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
  constructor(
    readonly requested: string,
    readonly loaded: string,
  ) {
    super(`model_id "${requested}" is not served here; this worker serves "${loaded}"`);
  }
}

/** The worker is draining (shutting down): it finishes running work but admits nothing new. → UNAVAILABLE */
export class WorkerDrainingError extends Error {
  override readonly name = 'WorkerDrainingError';
  constructor(message = 'the inference worker is draining; retry on another worker') {
    super(message);
  }
}
