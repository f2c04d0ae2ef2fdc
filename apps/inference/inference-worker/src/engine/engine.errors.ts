// Owns the engine's typed failures. The gRPC layer maps each class to one status code
// (InvalidRequest → INVALID_ARGUMENT, QueueFull → RESOURCE_EXHAUSTED with a retry hint,
// DeadlineExceeded → DEADLINE_EXCEEDED, ModelIntegrity/ModelLoad → FAILED_PRECONDITION at start-up,
// EngineClosed → UNAVAILABLE), so callers never have to parse messages.

/** One bad request field, named as the public API names it (snake_case, dotted for nesting). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(readonly problems: readonly FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }

  /** The first bad field, for error envelopes that carry a single `param`. */
  get field(): string {
    return this.problems[0]?.field ?? '';
  }

  static of(field: string, message: string): InvalidRequestError {
    return new InvalidRequestError([{ field, message }]);
  }
}

export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(
    readonly queueDepth: number,
    /** When a retry is likely to be admitted, estimated from recent service times. */
    readonly retryAfterMs: number,
  ) {
    super(
      `the inference queue is full (${queueDepth} waiting); retry in about ${Math.ceil(retryAfterMs / 1000)} s`,
    );
  }
}

export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly stage: 'queued' | 'running') {
    super(
      stage === 'queued'
        ? 'the deadline passed while the request waited in the queue'
        : 'the deadline passed during generation',
    );
  }
}

export class EngineClosedError extends Error {
  override readonly name = 'EngineClosedError';
  constructor() {
    super('the inference engine is shutting down');
  }
}

export class ModelIntegrityError extends Error {
  override readonly name = 'ModelIntegrityError';
  constructor(
    readonly path: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(
      `model file ${path} has sha256 ${actualSha256} but ${expectedSha256} is pinned; refusing to load it`,
    );
  }
}

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
