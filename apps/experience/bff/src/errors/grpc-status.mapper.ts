// Owns the translation of upstream gRPC statuses into HTTP errors: the one place that decides which
// status a client sees for INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED (429 + retry-after),
// UNAVAILABLE (503 + retry-after), and which upstream messages are safe to pass on (4xx ones, which
// describe the client's request) versus hidden (5xx ones, which describe our internals). Upstream
// errors arrive as @hearth/grpc GrpcErrors (code, reason, message, retry hint from RetryInfo or the
// retry-after-ms trailer).
import type { commonV1 } from '@hearth/contracts';
import type { GrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

import { ApiError } from './api.error';

/** Retry-after for UNAVAILABLE when the upstream gave none. */
const DEFAULT_RETRY_AFTER_S = 1;

export function apiErrorFromGrpc(error: GrpcError, what = 'upstream'): ApiError {
  const { message } = error;
  switch (error.code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return new ApiError(400, message, { code: 'invalid_value' });
    case status.NOT_FOUND:
      return new ApiError(404, message, { code: 'not_found' });
    case status.ALREADY_EXISTS:
      return new ApiError(409, message, { code: 'conflict' });
    case status.PERMISSION_DENIED:
      return new ApiError(403, message, { code: 'permission_denied' });
    case status.UNAUTHENTICATED:
      return new ApiError(401, message, { code: 'invalid_api_key' });
    case status.FAILED_PRECONDITION:
      if (error.reason === 'IDEMPOTENCY_KEY_REUSED') {
        return new ApiError(422, message, { code: 'idempotency_key_reused', param: 'Idempotency-Key' });
      }
      return new ApiError(422, message, { code: 'failed_precondition' });
    case status.RESOURCE_EXHAUSTED: {
      if (isBudgetReason(error.reason)) return budgetExceeded(message, error.reason);
      const seconds = retryAfterSeconds(error) ?? DEFAULT_RETRY_AFTER_S;
      return new ApiError(429, message, {
        type: 'tokens',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': String(seconds) },
      });
    }
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
    case status.CANCELLED: {
      const seconds = retryAfterSeconds(error) ?? DEFAULT_RETRY_AFTER_S;
      return new ApiError(503, `The ${what} is temporarily unavailable; retry after ${seconds} s.`, {
        code: 'service_unavailable',
        headers: { 'retry-after': String(seconds) },
      });
    }
    default:
      return new ApiError(500, `The ${what} failed.`, { code: 'internal_error' });
  }
}

function retryAfterSeconds(error: GrpcError): number | undefined {
  const ms = error.retryAfterMs;
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
}

/** A budget in money refused the request (the gateway's reasons). */
export function isBudgetReason(reason: string | undefined): boolean {
  return reason === 'BUDGET_EXCEEDED' || reason === 'REQUEST_EXCEEDS_BUDGET';
}

/**
 * OpenAI answers spend limits with 429 `insufficient_quota`; the code says which case it is and the
 * message names the budget. No retry-after: retrying does not help before the budget's window resets.
 */
export function budgetExceeded(message: string, reason: string): ApiError {
  return new ApiError(429, message, { type: 'insufficient_quota', code: reason.toLowerCase() });
}

/**
 * Refusals of a request the model's context cannot hold, in OpenAI's terms: its code
 * `context_length_exceeded`, and the parameter to change.
 */
const CONTEXT_REFUSALS: Readonly<Record<string, { code: string; param: string }>> = {
  CONTEXT_LENGTH_EXCEEDED: { code: 'context_length_exceeded', param: 'messages' },
  COMPLETION_EXCEEDS_CONTEXT: { code: 'context_length_exceeded', param: 'max_tokens' },
};

/**
 * An error event of a turn that already started, as the HTTP error it would have been: the statuses
 * map as in apiErrorFromGrpc, and the event's reason becomes the code. Its message is the
 * orchestrator's, written for the client.
 */
export function apiErrorFromDetail(detail: commonV1.ErrorDetail): ApiError {
  const message = detail.message || 'The turn failed.';
  const code = detail.reason ? detail.reason.toLowerCase() : 'server_error';
  switch (detail.code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return new ApiError(400, message, CONTEXT_REFUSALS[detail.reason] ?? { code });
    case status.NOT_FOUND:
      // MODEL_NOT_FOUND → OpenAI's `model_not_found`.
      return new ApiError(404, message, { code });
    case status.ALREADY_EXISTS:
      return new ApiError(409, message, { code });
    case status.PERMISSION_DENIED:
      return new ApiError(403, message, { code });
    case status.UNAUTHENTICATED:
      return new ApiError(401, message, { code });
    case status.FAILED_PRECONDITION:
      return new ApiError(422, message, { code });
    case status.RESOURCE_EXHAUSTED:
      if (isBudgetReason(detail.reason)) return budgetExceeded(message, detail.reason);
      return new ApiError(429, message, { type: 'tokens', code, headers: { 'retry-after': '1' } });
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      return new ApiError(503, message, { code, headers: { 'retry-after': '1' } });
    default:
      return new ApiError(500, message, { code });
  }
}
