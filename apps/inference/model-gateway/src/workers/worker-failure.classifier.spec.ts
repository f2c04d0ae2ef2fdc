import { GrpcError } from '@hearth/grpc';

import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

import {
  isFault,
  isRetryableBeforeFirstToken,
  toStatsFault,
  toWorkerCallError,
  WorkerCallError,
} from './worker-failure.classifier';

function serviceError(code: status, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

describe(toWorkerCallError.name, () => {
  it('counts a broken worker against its breaker but not a full or slow one', () => {
    expect(isFault(toWorkerCallError(serviceError(status.UNAVAILABLE, 'connection refused')))).toBe(true);
    expect(isFault(toWorkerCallError(serviceError(status.INTERNAL, 'boom')))).toBe(true);
    expect(isFault(toWorkerCallError(serviceError(status.RESOURCE_EXHAUSTED, 'queue full')))).toBe(false);
    expect(isFault(toWorkerCallError(serviceError(status.DEADLINE_EXCEEDED, 'late')))).toBe(false);
    expect(isFault(toWorkerCallError(serviceError(status.INVALID_ARGUMENT, 'bad temperature')))).toBe(false);
  });

  it('counts every failed Stats poll, slow ones included', () => {
    expect(isFault(toStatsFault(serviceError(status.DEADLINE_EXCEEDED, 'late')))).toBe(true);
  });

  it('keeps the worker retry-after-ms hint', () => {
    const metadata = new Metadata();
    metadata.set('retry-after-ms', '750');

    const mapped = toWorkerCallError(serviceError(status.RESOURCE_EXHAUSTED, 'queue full', metadata));

    expect(mapped).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      message: 'queue full',
      retryAfterMs: 750,
    });
  });

  it('keeps the worker reason and metadata for the gateway to pass on', () => {
    const mapped = toWorkerCallError(
      new GrpcError(status.INVALID_ARGUMENT, 'INVALID_REQUEST', 'temperature: bad', {
        metadata: { fields: 'temperature' },
        upstream: 'inference worker',
      }),
    );

    expect(mapped.passOn()).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'INVALID_REQUEST',
      message: 'temperature: bad',
      metadata: { fields: 'temperature' },
      upstream: undefined,
    });
  });

  it('treats a non-gRPC error as an unknown worker fault', () => {
    expect(toWorkerCallError(new Error('socket hang up'))).toMatchObject({
      code: status.UNKNOWN,
      fault: true,
    });
    expect(toWorkerCallError(new WorkerCallError(status.CANCELLED, 'x', false)).code).toBe(status.CANCELLED);
  });
});

describe(isRetryableBeforeFirstToken.name, () => {
  it('retries unavailability, overload and timeouts elsewhere, never a bad request', () => {
    expect(
      [status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED].every(
        isRetryableBeforeFirstToken,
      ),
    ).toBe(true);
    expect(
      [status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.CANCELLED, status.PERMISSION_DENIED].some(
        isRetryableBeforeFirstToken,
      ),
    ).toBe(false);
  });
});
