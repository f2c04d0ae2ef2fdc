// Owns reading a stored TurnTrace row back into the wire TurnTrace (the JSON shapes are written by
// turn-trace.recorder.ts), and the finish-reason names both sides share.
import { commonV1, durationFromMs, orchestratorV1 } from '@hearth/contracts';
import type { TurnTrace } from '@hearth/db';

import type { StoredRound, StoredSafety } from './turn-trace.recorder';

const { FinishReason } = commonV1;

const FINISH_BY_NAME: Record<string, commonV1.FinishReason> = {
  stop: FinishReason.FINISH_REASON_STOP,
  length: FinishReason.FINISH_REASON_LENGTH,
  tool_calls: FinishReason.FINISH_REASON_TOOL_CALLS,
  content_filter: FinishReason.FINISH_REASON_CONTENT_FILTER,
  error: FinishReason.FINISH_REASON_ERROR,
  cancelled: FinishReason.FINISH_REASON_CANCELLED,
};

export function finishReasonOf(name: string | null | undefined): commonV1.FinishReason {
  return (name && FINISH_BY_NAME[name]) || FinishReason.FINISH_REASON_UNSPECIFIED;
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export function errorOf(value: unknown): commonV1.ErrorDetail | null {
  if (typeof value !== 'object' || value === null) return null;
  const error = value as Partial<commonV1.ErrorDetail>;
  return {
    code: error.code ?? 2,
    reason: error.reason ?? 'UNKNOWN',
    message: error.message ?? '',
    partial: error.partial ?? false,
    retryable: error.retryable ?? false,
  };
}

export function toWireTrace(row: TurnTrace): orchestratorV1.TurnTrace {
  const prompts = asArray<commonV1.ContextMessage[]>(row.promptInput);
  const rounds = asArray<StoredRound>(row.toolRounds);
  const params = (row.params ?? {}) as { requestedModel?: string };
  const citations = citationsOf(row);
  return {
    turnId: row.id,
    conversationId: row.conversationId ?? '',
    requestId: row.requestId,
    requestedModel: params.requestedModel ?? row.model,
    traceId: row.traceId ?? '',
    rounds: rounds.map((round, index) => ({
      round: round.round,
      prompt: prompts[index] ?? [],
      outputText: round.outputText,
      toolCalls: round.toolCalls,
      finishReason: round.finishReason,
      usage: round.usage,
      timings: {
        queue: durationFromMs(round.timings.queue),
        prefill: durationFromMs(round.timings.prefill),
        timeToFirstToken: durationFromMs(round.timings.timeToFirstToken),
        decode: durationFromMs(round.timings.decode),
        total: durationFromMs(round.timings.total),
      },
      servedBy: round.servedBy,
    })),
    toolExecutions: rounds.flatMap((round) =>
      round.executions.map((execution) => ({
        toolCallId: execution.toolCallId,
        toolName: execution.toolName,
        stage: execution.stage,
        attempts: execution.attempts,
        duration: durationFromMs(execution.durationMs),
      })),
    ),
    safetyEvents: asArray<StoredSafety>(row.safetyDecisions),
    usage: {
      promptTokens: row.inputTokens,
      completionTokens: row.outputTokens,
      totalTokens: row.inputTokens + row.outputTokens,
      cachedPromptTokens: row.cachedTokens,
    },
    finishReason: finishReasonOf(row.finishReason),
    error: errorOf(row.error),
    startedAt: row.createdAt,
    finishedAt: row.finishedAt,
    citations,
    summary: summaryOf(row),
    prompts: promptsOf(row),
  };
}

/** The stored prompt variant and versions of a turn, or null for a turn traced before they were. */
export function promptsOf(row: TurnTrace): orchestratorV1.TurnPrompts | null {
  const stored = row.prompts as Partial<orchestratorV1.TurnPrompts> | null;
  if (!stored || typeof stored !== 'object' || typeof stored.variant !== 'string') return null;
  return {
    variant: stored.variant,
    experiment: stored.experiment ?? '',
    versions: asArray<string>(stored.versions),
  };
}

/** The stored summary reference of a turn in a conversation (params.summary), or null. */
export function summaryOf(row: TurnTrace): commonV1.SummaryRef | null {
  const stored = (row.params as { summary?: Partial<commonV1.SummaryRef> | null } | null)?.summary;
  if (!stored || typeof stored !== 'object') return null;
  return {
    summaryId: stored.summaryId ?? '',
    version: stored.version ?? 0,
    seqStart: stored.seqStart ?? 0,
    seqEnd: stored.seqEnd ?? 0,
    refreshPending: stored.refreshPending ?? false,
  };
}

/** The stored citation list of a grounded turn (params.citations), or null. */
export function citationsOf(row: TurnTrace): orchestratorV1.TurnCitations | null {
  const stored = (row.params as { citations?: Partial<orchestratorV1.TurnCitations> | null } | null)
    ?.citations;
  if (!stored || typeof stored !== 'object') return null;
  return {
    status: stored.status ?? orchestratorV1.GroundingStatus.GROUNDING_STATUS_UNSPECIFIED,
    citations: asArray<orchestratorV1.SourceCitation>(stored.citations),
    droppedMarkers: asArray<number>(stored.droppedMarkers),
    retrievedChunks: stored.retrievedChunks ?? 0,
    unavailableFiles: asArray<orchestratorV1.UnavailableFile>(stored.unavailableFiles),
  };
}
