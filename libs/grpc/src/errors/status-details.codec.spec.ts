import { status } from '@grpc/grpc-js';

import { decodeStatusDetails, encodeStatusDetails } from './status-details.codec';

describe('status details codec', () => {
  it('round-trips ErrorInfo reason, domain and metadata and the RetryInfo delay', () => {
    const sut = decodeStatusDetails(
      encodeStatusDetails({
        code: status.RESOURCE_EXHAUSTED,
        message: 'quota exceeded',
        reason: 'QUOTA_EXCEEDED',
        domain: 'model-gateway',
        metadata: { tenantId: 't1', window: 'minute' },
        retryAfterMs: 1_250.2,
      }),
    );

    expect(sut).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      message: 'quota exceeded',
      reason: 'QUOTA_EXCEEDED',
      domain: 'model-gateway',
      metadata: { tenantId: 't1', window: 'minute' },
      retryAfterMs: 1_251,
    });
  });

  it('leaves the retry delay out when none was given', () => {
    const bytes = encodeStatusDetails({
      code: status.NOT_FOUND,
      message: 'm',
      reason: 'FILE_NOT_FOUND',
      domain: 'd',
      metadata: {},
    });

    expect(decodeStatusDetails(bytes)).toMatchObject({
      reason: 'FILE_NOT_FOUND',
      metadata: {},
      retryAfterMs: undefined,
    });
  });

  it('reads nothing from bytes that are not a Status with an ErrorInfo', () => {
    expect(decodeStatusDetails(Buffer.from([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(decodeStatusDetails(Buffer.alloc(0))).toBeUndefined();
  });
});
