// Owns the engine's typed failures. Those a request can meet are GrpcErrors (@hearth/grpc), each
// with one status code and reason, so callers never have to parse messages: InvalidRequest →
// INVALID_ARGUMENT (the bad fields also in the `invalid-fields` trailer), QueueFull →
// RESOURCE_EXHAUSTED with a retry hint, DeadlineExceeded → DEADLINE_EXCEEDED, ChatTemplate →
// FAILED_PRECONDITION, EngineClosed → UNAVAILABLE. ModelIntegrity and ModelLoad stop the worker at start-up and never reach a caller.
import { GrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

/** Trailer listing the bad request fields of an INVALID_ARGUMENT call, comma-separated (documented contract). */
export const INVALID_FIELDS_KEY = 'invalid-fields';

/** One bad request field, named as the public API names it (snake_case, dotted for nesting). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export class InvalidRequestError extends GrpcError {
  override readonly name = 'InvalidRequestError';
  constructor(readonly problems: readonly FieldProblem[]) {
    const fields = problems.map((p) => p.field).join(',');
    super(
      status.INVALID_ARGUMENT,
      'INVALID_REQUEST',
      problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      { metadata: { fields }, trailers: { [INVALID_FIELDS_KEY]: fields } },
    );
  }

  /** The first bad field, for error envelopes that carry a single `param`. */
  get field(): string {
    return this.problems[0]?.field ?? '';
  }

  static of(field: string, message: string): InvalidRequestError {
    return new InvalidRequestError([{ field, message }]);
  }
}

export class QueueFullError extends GrpcError {
  override readonly name = 'QueueFullError';
  constructor(
    readonly queueDepth: number,
    /** When a retry is likely to be admitted, estimated from recent service times. */
    retryAfterMs: number,
  ) {
    super(
      status.RESOURCE_EXHAUSTED,
      'QUEUE_FULL',
      `the inference queue is full (${queueDepth} waiting); retry in about ${Math.ceil(retryAfterMs / 1000)} s`,
      { metadata: { queueDepth: String(queueDepth) }, retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)) },
    );
  }
}

export class DeadlineExceededError extends GrpcError {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly stage: 'queued' | 'running') {
    super(
      status.DEADLINE_EXCEEDED,
      'DEADLINE_EXCEEDED',
      stage === 'queued'
        ? 'the deadline passed while the request waited in the queue'
        : 'the deadline passed during generation',
      { metadata: { stage } },
    );
  }
}

/**
 * No usable chat template for a chat request: the GGUF has none and the request names none, the
 * request names one although the GGUF has its own, or the named one does not render. A deployment
 * problem (the registry and the model file disagree), not a bad request.
 */
export class ChatTemplateError extends GrpcError {
  override readonly name = 'ChatTemplateError';
  constructor(message: string) {
    super(status.FAILED_PRECONDITION, 'CHAT_TEMPLATE_UNUSABLE', message);
  }
}

export class EngineClosedError extends GrpcError {
  override readonly name = 'EngineClosedError';
  constructor() {
    super(status.UNAVAILABLE, 'ENGINE_CLOSED', 'the inference engine is shutting down');
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
