// The final state a turn's loop reaches, before it is stored and sent: what the assistant message
// holds, how it is stored (complete, incomplete with the partial text kept, or blocked) and, for a
// failure, the error the client receives.
import { commonV1 } from '@hearth/contracts';

const { FinishReason } = commonV1;

export interface TurnOutcome {
  finishReason: commonV1.FinishReason;
  text: string;
  toolCalls: commonV1.ToolCall[];
  status: 'complete' | 'incomplete' | 'blocked';
  refusal?: boolean;
  error?: commonV1.ErrorDetail;
}

/** Cancelled (CancelTurn, client gone, shutdown): the text so far is kept as an incomplete answer. */
export function cancelledOutcome(text = ''): TurnOutcome {
  return { finishReason: FinishReason.FINISH_REASON_CANCELLED, text, toolCalls: [], status: 'incomplete' };
}

/** A failure the client sees as an `error` event; the answer is stored as incomplete. */
export function failedOutcome(
  error: commonV1.ErrorDetail,
  text = '',
  toolCalls: commonV1.ToolCall[] = [],
): TurnOutcome {
  return { finishReason: FinishReason.FINISH_REASON_ERROR, text, toolCalls, status: 'incomplete', error };
}

/** Safety stopped the turn: the refusal is the answer, stored as blocked. */
export function blockedOutcome(text: string, refusal?: boolean): TurnOutcome {
  return {
    finishReason: FinishReason.FINISH_REASON_CONTENT_FILTER,
    text,
    toolCalls: [],
    status: 'blocked',
    ...(refusal ? { refusal } : {}),
  };
}
