import { commonV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { apiErrorFromDetail } from './grpc-status.mapper';

const detail = (code: status, reason: string, message = 'why'): commonV1.ErrorDetail =>
  ({ code, reason, message, partial: false, retryable: false }) as commonV1.ErrorDetail;

describe(apiErrorFromDetail.name, () => {
  it.each([
    [status.INVALID_ARGUMENT, 'BAD_SCHEMA', 400, 'bad_schema'],
    [status.NOT_FOUND, 'MODEL_NOT_FOUND', 404, 'model_not_found'],
    [status.ALREADY_EXISTS, 'TURN_EXISTS', 409, 'turn_exists'],
    [status.PERMISSION_DENIED, 'TOOL_NOT_ALLOWED', 403, 'tool_not_allowed'],
    [status.UNAUTHENTICATED, 'KEY_REVOKED', 401, 'key_revoked'],
    [status.FAILED_PRECONDITION, 'TOOLS_DISABLED', 422, 'tools_disabled'],
    [status.RESOURCE_EXHAUSTED, 'QUEUE_FULL', 429, 'queue_full'],
    [status.UNAVAILABLE, 'SAFETY_UNAVAILABLE', 503, 'safety_unavailable'],
    [status.INTERNAL, '', 500, 'server_error'],
  ])(
    'answers a turn error with status %s as HTTP %s, its reason as the code',
    (code, reason, http, apiCode) => {
      const error = apiErrorFromDetail(detail(code, reason));
      expect(error).toMatchObject({ status: http, code: apiCode });
      expect(error.message).toBe('why');
    },
  );

  it('names the parameter of a request the context cannot hold', () => {
    expect(apiErrorFromDetail(detail(status.INVALID_ARGUMENT, 'COMPLETION_EXCEEDS_CONTEXT'))).toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
      param: 'max_tokens',
    });
  });

  it('answers a spent budget with insufficient_quota and no retry-after', () => {
    const error = apiErrorFromDetail(detail(status.RESOURCE_EXHAUSTED, 'BUDGET_EXCEEDED'));
    expect(error).toMatchObject({ status: 429, type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(error.headers?.['retry-after']).toBeUndefined();
  });
});
