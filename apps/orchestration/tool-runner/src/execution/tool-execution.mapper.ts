// Owns turning a stored tool_calls row into the wire's ToolExecution. Failures are stored as the
// ErrorDetail JSON in `error`; a timeout is a failed row whose reason is TOOL_TIMEOUT, and an expired
// confirmation a failed result with reason CONFIRMATION_EXPIRED (the proto has no EXPIRED status).
import { durationFromMs, toolsV1, type commonV1 } from '@hearth/contracts';
import type { ToolCall } from '@hearth/db';

import { status } from '@grpc/grpc-js';

import { TIMEOUT_REASON } from './tool.executor';

const S = toolsV1.ToolCallStatus;

export function toExecution(
  row: ToolCall,
  extra: { replayed: boolean; confirmationPrompt?: string; durationMs?: number },
): toolsV1.ToolExecution {
  const error = parseError(row.error);
  return {
    callId: row.callId ?? '',
    name: row.name,
    status: statusOf(row, error),
    resultJson: row.status === 'succeeded' ? JSON.stringify(row.result ?? null) : '',
    error: row.status === 'expired' ? expiredError() : error,
    confirmationPrompt: row.status === 'pending_confirmation' ? (extra.confirmationPrompt ?? '') : '',
    attempts: row.attempts,
    duration: durationFromMs(
      extra.durationMs ?? Math.max(0, row.updatedAt.getTime() - (row.decidedAt ?? row.createdAt).getTime()),
    ),
    replayed: extra.replayed,
  };
}

function statusOf(row: ToolCall, error: commonV1.ErrorDetail | null): toolsV1.ToolCallStatus {
  switch (row.status) {
    case 'pending_confirmation':
      return S.TOOL_CALL_STATUS_PENDING_CONFIRMATION;
    case 'approved':
    case 'running':
      return S.TOOL_CALL_STATUS_RUNNING;
    case 'succeeded':
      return S.TOOL_CALL_STATUS_SUCCEEDED;
    case 'rejected':
      return S.TOOL_CALL_STATUS_REJECTED;
    case 'expired':
      return S.TOOL_CALL_STATUS_FAILED;
    case 'failed':
      return error?.reason === TIMEOUT_REASON ? S.TOOL_CALL_STATUS_TIMED_OUT : S.TOOL_CALL_STATUS_FAILED;
  }
}

export function serializeError(error: commonV1.ErrorDetail): string {
  return JSON.stringify(error);
}

function parseError(text: string | null): commonV1.ErrorDetail | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as commonV1.ErrorDetail;
  } catch {
    return { code: status.UNKNOWN, reason: 'TOOL_ERROR', message: text, partial: false, retryable: false };
  }
}

/** A call left `running` by a tool runner that stopped: whether its effect happened is unknown. */
export function interruptedError(): commonV1.ErrorDetail {
  return {
    code: status.ABORTED,
    reason: 'TOOL_INTERRUPTED',
    message:
      'the tool runner stopped while this call was running; it was not retried, and its effect may or may not have happened',
    partial: false,
    retryable: false,
  };
}

export function expiredError(): commonV1.ErrorDetail {
  return {
    code: status.DEADLINE_EXCEEDED,
    reason: 'CONFIRMATION_EXPIRED',
    message: 'nobody confirmed the call in time, so it did not run',
    partial: false,
    retryable: false,
  };
}
