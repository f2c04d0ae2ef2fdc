// Owns the end of a turn: the final assistant message, the trace (prompt, usage, safety, tool rounds,
// latency, params) and the audit events, stored in one statement; the hot-window append (a cache the
// context service can rebuild, so the client never waits for it); then the turn's last events: its
// citations and usage, and exactly one `finish` or `error`. A store that fails because the database is
// away (unreachable, connection lost) is retried for a bounded time while the client waits for its
// answer's end, so a short PostgreSQL outage does not cost the stored answer its last words; one that
// still fails is logged and the client gets its answer's end anyway; the draft, no longer renewed, is
// then ended by the sweeper (draft.sweeper.ts) with the text its lease renewals saved.
import { setTimeout as sleep } from 'node:timers/promises';

import { commonV1, durationFromMs, type contextV1, type orchestratorV1 } from '@hearth/contracts';
import { classifyDbError, jsonbSafe, type Prisma } from '@hearth/db';
import type { Logger } from '@hearth/telemetry';

import type { ContextClient } from '../clients/upstream.clients';
import { assistantJson, assistantMessage } from './message.mapper';
import { observeTurnPhases } from './turn-phase.metrics';
import type { TurnSafetyLog } from './turn-safety.log';
import type { TurnOutcome } from './turn.outcome';
import type { TurnScope } from './turn.scope';
import type { FinishTurnInput, TurnStore } from './turn.store';

const { FinishReason } = commonV1;

const FINISH_NAMES: Record<number, string> = {
  [FinishReason.FINISH_REASON_STOP]: 'stop',
  [FinishReason.FINISH_REASON_LENGTH]: 'length',
  [FinishReason.FINISH_REASON_TOOL_CALLS]: 'tool_calls',
  [FinishReason.FINISH_REASON_CONTENT_FILTER]: 'content_filter',
  [FinishReason.FINISH_REASON_ERROR]: 'error',
  [FinishReason.FINISH_REASON_CANCELLED]: 'cancelled',
};

/** What the loop learned on the way that the stored trace and the last events carry. */
export interface TurnFacts {
  servedModel?: commonV1.ServedBy;
  citations?: orchestratorV1.TurnCitations;
  summary?: commonV1.SummaryRef | null;
}

export interface TurnFinalizer {
  finish(outcome: TurnOutcome, facts: TurnFacts): Promise<void>;
}

export interface StoredTurnFinalizerDeps {
  store: Pick<TurnStore, 'finish'>;
  context: Pick<ContextClient, 'appendMessages'>;
  logger: Logger;
  /** The request's tool-round limit as stored in the trace's params when it asked for none. */
  maxToolRounds: number;
  /** Hot-window appends still in flight, per conversation; unset: the turn waits for its own. */
  pendingAppends?: Map<string, Promise<void>>;
  /** How long a final write the database failed (not the statement) is retried; default 0: once. */
  storeRetryMs?: number;
}

/** First and longest pause between tries of the final write. */
const STORE_RETRY_FIRST_MS = 100;
const STORE_RETRY_MAX_MS = 2_000;

export class StoredTurnFinalizer implements TurnFinalizer {
  constructor(
    private readonly scope: TurnScope,
    private readonly safetyLog: TurnSafetyLog,
    private readonly deps: StoredTurnFinalizerDeps,
  ) {}

  async finish(outcome: TurnOutcome, facts: TurnFacts): Promise<void> {
    const { scope, deps } = this;
    const { trace, begun } = scope;
    const request = scope.turn.request;
    await this.store(this.finishInput(outcome, facts));
    observeTurnPhases(trace.steps, trace.elapsedMs());
    // The hot window is a cache the context service can rebuild from PostgreSQL: the client does not
    // wait for it. The next turn of this conversation in this process waits for it before assembling.
    const appended = this.appendHotWindow(outcome).catch((error: unknown) =>
      deps.logger.warn({ err: error, turnId: begun.turnId }, 'hot window append failed'),
    );
    const conversationId = scope.turn.conversationId;
    const pending = deps.pendingAppends;
    if (conversationId && pending) {
      const tracked = appended.finally(() => {
        if (pending.get(conversationId) === tracked) pending.delete(conversationId);
      });
      pending.set(conversationId, tracked);
    } else {
      await appended;
    }

    if (outcome.error) {
      scope.emit({ error: outcome.error });
      return;
    }
    if (facts.citations) scope.emit({ citations: facts.citations });
    if (request.streamOptions?.includeUsage) scope.emit({ usage: { ...trace.usage } });
    scope.emit({
      finish: {
        finishReason: outcome.finishReason,
        duration: durationFromMs(trace.elapsedMs() + (trace.steps.persist ?? 0)),
      },
    });
  }

  /** The final write, retried while the database (not the statement) is at fault and time is left. */
  private async store(input: FinishTurnInput): Promise<void> {
    const { deps } = this;
    const turnId = this.scope.begun.turnId;
    const until = Date.now() + (deps.storeRetryMs ?? 0);
    for (
      let pause = STORE_RETRY_FIRST_MS, tries = 1;
      ;
      pause = Math.min(pause * 2, STORE_RETRY_MAX_MS), tries++
    ) {
      try {
        // Nothing changed: the answer was already final (an earlier try that committed before its
        // connection broke, or the sweeper), and the stored one stays.
        if (!(await deps.store.finish(input)))
          deps.logger.warn({ turnId, tries }, 'turn finalization skipped: the answer was already final');
        else if (tries > 1)
          deps.logger.warn({ turnId, tries }, 'turn finalization stored after the database came back');
        return;
      } catch (error) {
        const { transient, reason } = classifyDbError(error);
        if (!transient || Date.now() + pause > until) {
          deps.logger.error({ err: error, turnId, tries, reason }, 'turn finalization failed');
          return;
        }
        await sleep(pause);
      }
    }
  }

  private finishInput(outcome: TurnOutcome, facts: TurnFacts): FinishTurnInput {
    const { scope } = this;
    const { trace, begun } = scope;
    const request = scope.turn.request;
    const caller = request.caller as commonV1.Caller;
    const finishName = FINISH_NAMES[outcome.finishReason] ?? 'stop';
    const finalizeStart = performance.now();
    const served = facts.servedModel;
    const audit: FinishTurnInput['audit'] = [
      {
        actor: caller.userId ? { type: 'user', id: caller.userId } : { type: 'api_key', id: caller.apiKeyId },
        action: 'turn.completed',
        ruleIds: [],
        resource: { type: 'turn', id: begun.turnId },
        metadata: {
          finish_reason: finishName,
          model: served?.modelId ?? request.model,
          rounds: trace.rounds.length,
          input_tokens: trace.usage.promptTokens,
          output_tokens: trace.usage.completionTokens,
          conversation_id: scope.turn.conversationId ?? null,
          error_reason: outcome.error?.reason ?? null,
        },
      },
      ...this.safetyLog.auditRules.map((rule) => ({
        actor: { type: 'service' as const, id: 'orchestrator' },
        action: `safety.${rule.stage}_check`,
        decision: rule.decision,
        ruleIds: rule.ruleIds,
        resource: { type: 'turn', id: begun.turnId },
        metadata: { policy_version: rule.policyVersion },
      })),
    ];
    const params: Prisma.InputJsonObject = jsonbSafe({
      requestedModel: request.model,
      servedModel: served?.modelId ?? null,
      fallback: served?.fallback ?? false,
      sampling: (request.sampling ?? {}) as Prisma.InputJsonObject,
      toolChoice: (request.toolChoice ?? null) as Prisma.InputJsonObject | null,
      responseFormat: request.responseFormat
        ? { type: request.responseFormat.type, schemaName: request.responseFormat.schemaName }
        : null,
      tools: request.tools.map((tool) => tool.name),
      serverTools: request.serverToolNames,
      maxToolRounds: request.maxToolRounds || this.deps.maxToolRounds,
      retrieval: request.retrieval?.enabled
        ? { fileIds: request.retrieval.fileIds, topK: request.retrieval.topK, query: request.retrieval.query }
        : null,
      // The citation list as sent, with the dropped markers (read back by trace.mapper.ts and replays).
      citations: (facts.citations ?? null) as unknown as Prisma.InputJsonObject | null,
      // Read back by trace.mapper.ts: which summary version (and seq range) served this turn.
      summary: (facts.summary ?? null) as unknown as Prisma.InputJsonObject | null,
    } as Prisma.InputJsonObject);
    // The finish statement carries the latency, so `finalize` is the time to build it and `total` ends
    // where the statement is sent (its own round trip is the only step a trace cannot hold).
    trace.add('finalize', performance.now() - finalizeStart);
    const totalBeforeWrite = trace.elapsedMs() + (trace.steps.persist ?? 0);
    return {
      turnId: begun.turnId,
      tenantId: caller.tenantId,
      assistantMessageId: begun.assistantMessageId,
      message: begun.assistantMessageId
        ? {
            content: assistantJson(outcome.text, outcome.toolCalls, outcome.refusal),
            status: outcome.status,
            finishReason: finishName,
            tokenCount: trace.rounds[trace.rounds.length - 1]?.usage.completionTokens ?? 0,
            model: served?.modelId ?? request.model,
          }
        : undefined,
      trace: {
        finishReason: finishName,
        error: outcome.error ? ({ ...outcome.error } as Prisma.InputJsonObject) : undefined,
        model: served?.modelId ?? request.model,
        modelVersion: served?.modelSha256 || undefined,
        promptInput: trace.promptJson(),
        inputTokens: trace.usage.promptTokens,
        cachedTokens: trace.usage.cachedPromptTokens,
        outputTokens: trace.usage.completionTokens,
        safetyDecisions: trace.safetyJson(),
        toolRounds: trace.toolRoundsJson(),
        latency: trace.latencyJson(totalBeforeWrite),
        // Read back by trace.mapper.ts; feedback is reported per variant from here (admin CLI).
        prompts: {
          variant: scope.turn.prompts.variant,
          experiment: scope.turn.prompts.experiment,
          versions: trace.promptVersions,
        },
        params,
      },
      audit,
    };
  }

  private async appendHotWindow(outcome: TurnOutcome): Promise<void> {
    const { scope } = this;
    const { begun, trace } = scope;
    if (!scope.turn.conversationId || !begun.assistantMessageId) return;
    const stored: contextV1.StoredMessage[] = begun.inputMessages.map((m) => ({
      messageId: m.id,
      seq: m.seq,
      message: m.message,
      tokenCount: 0,
      createdAt: m.createdAt,
      parentMessageId: m.parentId ?? '',
    }));
    const lastInput = begun.inputMessages[begun.inputMessages.length - 1];
    stored.push({
      messageId: begun.assistantMessageId,
      seq: begun.assistantSeq ?? 0,
      message: assistantMessage(outcome.text, outcome.toolCalls, outcome.refusal),
      tokenCount: trace.rounds[trace.rounds.length - 1]?.usage.completionTokens ?? 0,
      createdAt: new Date(),
      parentMessageId: lastInput?.id ?? '',
    });
    await this.deps.context.appendMessages(
      { caller: scope.turn.request.caller, conversationId: scope.turn.conversationId, messages: stored },
      { timeoutMs: scope.timeouts.stepTimeoutMs },
    );
  }
}
