import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { UnknownModelError, WorkerDrainingError } from '../app/worker.errors';
import {
  DeadlineExceededError,
  EngineClosedError,
  InvalidRequestError,
  QueueFullError,
} from '../engine/engine.errors';
import { INVALID_FIELDS_KEY, RETRY_AFTER_MS_KEY, toGrpcError } from './grpc-error.mapper';

describe(toGrpcError.name, () => {
  it('maps each domain error to its status', () => {
    expect(toGrpcError(InvalidRequestError.of('temperature', 'must be at least 0')).code).toBe(
      status.INVALID_ARGUMENT,
    );
    expect(toGrpcError(new UnknownModelError('a', 'b')).code).toBe(status.NOT_FOUND);
    expect(toGrpcError(new QueueFullError(8, 1500)).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(toGrpcError(new DeadlineExceededError('queued')).code).toBe(status.DEADLINE_EXCEEDED);
    expect(toGrpcError(new EngineClosedError()).code).toBe(status.UNAVAILABLE);
    expect(toGrpcError(new WorkerDrainingError()).code).toBe(status.UNAVAILABLE);
    expect(toGrpcError(new RpcException({ code: status.FAILED_PRECONDITION, message: 'no' }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: 'no',
    });
  });

  it('names every bad field in the message and in a trailer', () => {
    const sut = toGrpcError(
      new InvalidRequestError([
        { field: 'temperature', message: 'must be at least 0' },
        { field: 'max_tokens', message: 'must be at least 1' },
      ]),
    );
    expect(sut.message).toBe('temperature: must be at least 0; max_tokens: must be at least 1');
    expect(sut.metadata.get(INVALID_FIELDS_KEY)).toEqual(['temperature,max_tokens']);
  });

  it('carries the retry hint of a full queue as retry-after-ms', () => {
    expect(toGrpcError(new QueueFullError(8, 1499.2)).metadata.get(RETRY_AFTER_MS_KEY)).toEqual(['1500']);
  });

  it('hides the message of an unexpected error behind a reference id', () => {
    const sut = toGrpcError(new Error('database password is hunter2'));
    expect(sut.code).toBe(status.INTERNAL);
    expect(sut.message).not.toContain('hunter2');
    expect(sut.message).toContain(sut.errorId);
  });
});
