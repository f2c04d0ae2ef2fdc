import { Metadata, status, type ServiceError } from '@grpc/grpc-js';

import { GrpcError, invalidArgument, notFound, resourceExhausted } from './grpc-error';
import {
  fromServiceError,
  MAX_STATUS_MESSAGE_CHARS,
  MAX_STATUS_METADATA_CHARS,
  RETRY_AFTER_MS_KEY,
  toGrpcError,
  toStatusPayload,
} from './grpc-status.codec';
import { STATUS_DETAILS_KEY } from './status-details.codec';

/** What grpc-js hands a client for the payload a server sent. */
function asReceived(payload: ReturnType<typeof toStatusPayload>): ServiceError {
  return Object.assign(new Error(`${payload.code} ${status[payload.code]}: ${payload.details}`), {
    code: payload.code,
    details: payload.details,
    metadata: payload.metadata,
  });
}

describe(GrpcError.name, () => {
  it('takes the status name as the reason when thrown with a message only', () => {
    const sut = invalidArgument('caller.tenant_id is required');

    expect(sut).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'INVALID_ARGUMENT', metadata: {} });
    expect(sut.message).toBe('caller.tenant_id is required');
  });

  it('keeps a named reason and its metadata', () => {
    const sut = notFound('FILE_NOT_FOUND', 'file "f1" not found', { fileId: 'f1' });

    expect(sut).toMatchObject({
      code: status.NOT_FOUND,
      reason: 'FILE_NOT_FOUND',
      metadata: { fileId: 'f1' },
    });
  });
});

describe(toStatusPayload.name, () => {
  it('sends the message as details, the retry hint as a trailer and the Status as binary details', () => {
    const sut = toStatusPayload(
      resourceExhausted(
        'QUOTA_EXCEEDED',
        'over quota',
        { tenantId: 't' },
        {
          retryAfterMs: 999.1,
          trailers: { 'quota-reset-at': '2026-01-01T00:01:00.000Z' },
        },
      ),
      'model-gateway',
    );

    expect(sut).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      message: 'over quota',
      details: 'over quota',
    });
    expect(sut.metadata.get(RETRY_AFTER_MS_KEY)).toEqual(['1000']);
    expect(sut.metadata.get('quota-reset-at')).toEqual(['2026-01-01T00:01:00.000Z']);
    expect(sut.metadata.get(STATUS_DETAILS_KEY)[0]).toBeInstanceOf(Buffer);
  });

  it('bounds a message and metadata that quote a huge input, never cutting a surrogate pair', () => {
    const huge = `${'x'.repeat(MAX_STATUS_MESSAGE_CHARS - 4)}😀${'y'.repeat(1024 * 1024)}`;
    const sut = toStatusPayload(
      notFound('MODEL_NOT_SERVED', huge, { requested: huge }, { trailers: { fields: huge } }),
      'worker',
    );

    expect(sut.details).toBe(`${'x'.repeat(MAX_STATUS_MESSAGE_CHARS - 4)}...`);
    expect(sut.metadata.get('fields')).toEqual([sut.details]);
    const received = fromServiceError(asReceived(sut), 'worker');
    expect(received.message).toBe(sut.details);
    expect(received.metadata['requested']).toHaveLength(MAX_STATUS_METADATA_CHARS);
  });

  it('replaces lone surrogates (decoded from invalid UTF-8) so the message can be sent', () => {
    const sut = toStatusPayload(
      notFound('MODEL_NOT_SERVED', 'model "a\uD800b\uDC00c😀"', { requested: '\uD800' }),
      'worker',
    );

    expect(sut.details).toBe('model "a\uFFFDb\uFFFDc😀"');
    expect(() => encodeURI(sut.details)).not.toThrow();
    expect(fromServiceError(asReceived(sut), 'worker').metadata['requested']).toBe('\uFFFD');
  });
});

describe(fromServiceError.name, () => {
  it('decodes what toStatusPayload sent into the same error, marked with its upstream', () => {
    const sent = resourceExhausted('QUOTA_EXCEEDED', 'over quota', { tenantId: 't' }, { retryAfterMs: 1500 });

    const sut = fromServiceError(asReceived(toStatusPayload(sent, 'model-gateway')), 'model gateway');

    expect(sut).toBeInstanceOf(GrpcError);
    expect(sut).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      reason: 'QUOTA_EXCEEDED',
      message: 'over quota',
      domain: 'model-gateway',
      metadata: { tenantId: 't' },
      retryAfterMs: 1500,
      upstream: 'model gateway',
    });
    expect(sut.trailers[RETRY_AFTER_MS_KEY]).toBe('1500');
  });

  it('names a status without details by its code and still reads a retry-after-ms trailer', () => {
    const metadata = new Metadata();
    metadata.set(RETRY_AFTER_MS_KEY, '750');
    const error = Object.assign(new Error('14 UNAVAILABLE: draining'), {
      code: status.UNAVAILABLE,
      details: 'draining',
      metadata,
    });

    expect(fromServiceError(error, 'worker')).toMatchObject({
      reason: 'UNAVAILABLE',
      message: 'draining',
      retryAfterMs: 750,
      metadata: {},
    });
  });

  it('ignores unreadable details bytes', () => {
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from([1, 2, 3]));
    const error = Object.assign(new Error('13 INTERNAL: x'), {
      code: status.INTERNAL,
      details: 'x',
      metadata,
    });

    expect(fromServiceError(error, 'up').reason).toBe('INTERNAL');
  });
});

describe(toGrpcError.name, () => {
  it('passes GrpcErrors through and turns anything else into UNKNOWN from the upstream', () => {
    const own = notFound('gone');

    expect(toGrpcError(own, 'up')).toBe(own);
    expect(toGrpcError(new TypeError('bad'), 'up')).toMatchObject({
      code: status.UNKNOWN,
      message: 'bad',
      upstream: 'up',
    });
  });
});
