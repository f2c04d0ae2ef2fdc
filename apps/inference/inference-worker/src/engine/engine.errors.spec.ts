import { status } from '@grpc/grpc-js';

import { UnknownModelError, WorkerDrainingError } from '../app/worker.errors';
import {
  DeadlineExceededError,
  EngineClosedError,
  INVALID_FIELDS_KEY,
  InvalidRequestError,
  QueueFullError,
} from './engine.errors';

describe('worker errors', () => {
  it('carry one status code and reason each', () => {
    expect(InvalidRequestError.of('temperature', 'must be at least 0')).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'INVALID_REQUEST',
    });
    expect(new UnknownModelError('a', 'b')).toMatchObject({
      code: status.NOT_FOUND,
      reason: 'MODEL_NOT_SERVED',
    });
    expect(new QueueFullError(8, 1500)).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      reason: 'QUEUE_FULL',
    });
    expect(new DeadlineExceededError('queued').code).toBe(status.DEADLINE_EXCEEDED);
    expect(new EngineClosedError()).toMatchObject({ code: status.UNAVAILABLE, reason: 'ENGINE_CLOSED' });
    expect(new WorkerDrainingError()).toMatchObject({ code: status.UNAVAILABLE, reason: 'WORKER_DRAINING' });
  });

  it('name every bad field in the message, the metadata and the invalid-fields trailer', () => {
    const sut = new InvalidRequestError([
      { field: 'temperature', message: 'must be at least 0' },
      { field: 'max_tokens', message: 'must be at least 1' },
    ]);

    expect(sut.message).toBe('temperature: must be at least 0; max_tokens: must be at least 1');
    expect(sut.metadata).toEqual({ fields: 'temperature,max_tokens' });
    expect(sut.trailers).toEqual({ [INVALID_FIELDS_KEY]: 'temperature,max_tokens' });
  });

  it('round the retry hint of a full queue up to whole milliseconds, at least one', () => {
    expect(new QueueFullError(8, 1499.2).retryAfterMs).toBe(1500);
    expect(new QueueFullError(8, 0).retryAfterMs).toBe(1);
  });
});
