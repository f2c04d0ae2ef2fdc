// Owns the first step of a turn: the context service assembles the prompt (history, summary, memory,
// retrieval) within the model's budget, after this process's pending hot-window append for the
// conversation landed. With retrieval the chunks are numbered as sources for citations; when grounding
// is impossible (not ready, failed, nothing found) the turn is answered here, deterministically, with
// no model call. The platform's own prompts come in the versions of the turn's prompt variant: the
// grounding instruction (grounded turns), and a variant's system prompt, put first so every turn of a
// conversation keeps sharing the worker's cached prompt prefix; the trace records each version used.
import { commonV1, type orchestratorV1 } from '@hearth/contracts';
import type { PromptCatalog } from '@hearth/prompts';

import type { ContextClient } from '../clients/upstream.clients';
import {
  DEFAULT_TOP_K,
  groundingInstruction,
  MARKER_TOKEN_SLACK,
  numberSources,
  ungroundedAnswer,
  type NumberedSource,
} from './grounding';
import type { TurnOutcome } from './turn.outcome';
import type { TurnScope } from './turn.scope';

const { ContextLayer, FinishReason, Role, TrustLevel } = commonV1;

/** Room kept for a variant's system prompt, which is placed after the context service's budgeting. */
const SYSTEM_PROMPT_SLACK_TOKENS = 8;

export interface AssembledPrompt {
  prompt: commonV1.ContextMessage[];
  /** The rolling summary the context used (which version, which seqs), for the trace. */
  summary?: commonV1.SummaryRef | null;
  /** Retrieved chunks the model is given, by marker (grounded turns only). */
  sources: NumberedSource[];
  /** Already decided citations (an ungrounded answer's); otherwise derived from the final text. */
  citations?: orchestratorV1.TurnCitations;
  /** Set when the turn is answered without a model call; its text was already sent. */
  answer?: TurnOutcome;
}

export interface PromptAssembler {
  assemble(): Promise<AssembledPrompt>;
}

export class ContextPromptAssembler implements PromptAssembler {
  constructor(
    private readonly scope: TurnScope,
    private readonly context: Pick<ContextClient, 'assembleContext'>,
    private readonly catalog: PromptCatalog,
    /** Tokens the prompt leaves free for the answer (completion-reserve.ts). */
    private readonly reservedCompletion: number,
    /** Hot-window appends still in flight, per conversation. */
    private readonly pendingAppends?: Map<string, Promise<void>>,
  ) {}

  async assemble(): Promise<AssembledPrompt> {
    const { scope } = this;
    const request = scope.turn.request;
    const retrieval = request.retrieval?.enabled ? request.retrieval : undefined;
    const { grounding: groundingRef, system: systemRef } = scope.turn.prompts.prompts;
    const system = systemRef ? this.catalog.render(systemRef) : undefined;
    const groundingPrompt = retrieval && groundingRef ? groundingRef : undefined;
    scope.trace.promptVersions.push(...[systemRef, groundingPrompt].filter((ref) => ref !== undefined));
    const assembled = await scope.trace.time('context', async () => {
      // The previous turn's messages must be in the hot window before this one reads it.
      if (scope.turn.conversationId) await this.pendingAppends?.get(scope.turn.conversationId);
      return this.context.assembleContext(
        {
          caller: request.caller as commonV1.Caller,
          conversationId: scope.turn.conversationId ?? '',
          // The citing instruction travels as a system message of the turn, so it is counted in the budget.
          newMessages: groundingPrompt
            ? [groundingInstruction(this.catalog, groundingPrompt), ...request.messages]
            : request.messages,
          model: request.model,
          tokenBudget: 0,
          // Room for the "Source [n]:" labels added after the context service counted the chunks.
          reservedCompletionTokens:
            this.reservedCompletion +
            (system ? Math.ceil(system.length / 3) + SYSTEM_PROMPT_SLACK_TOKENS : 0) +
            (retrieval ? MARKER_TOKEN_SLACK * (retrieval.topK || DEFAULT_TOP_K) : 0),
          excludeMemory: false,
          retrieval: retrieval
            ? { query: retrieval.query, topK: retrieval.topK, fileIds: retrieval.fileIds }
            : null,
          historyBeforeSeq: scope.begun.inputMessages[0]?.seq ?? 0,
          // History is the branch this turn continues, never a sibling of it.
          parentMessageId: scope.begun.parentMessageId ?? '',
        },
        { deadline: scope.stepDeadline() },
      );
    });
    const messages = system
      ? [systemItem(system, systemRef as string), ...assembled.messages]
      : assembled.messages;
    if (!retrieval) return { prompt: messages, summary: assembled.summary, sources: [] };
    const { prompt, sources } = numberSources(messages);
    // Not ready, failed or nothing found: a deterministic answer, no model call (see README).
    const ungrounded = ungroundedAnswer(assembled.retrieval, sources);
    if (!ungrounded) return { prompt, summary: assembled.summary, sources };
    scope.emit({ content: { text: ungrounded.text } });
    return {
      prompt,
      summary: assembled.summary,
      sources,
      citations: ungrounded.citations,
      answer: {
        finishReason: FinishReason.FINISH_REASON_STOP,
        text: ungrounded.text,
        toolCalls: [],
        status: 'complete',
      },
    };
  }
}

/** A variant's system prompt as the first item of the prompt (provenance: the prompt's version). */
function systemItem(text: string, ref: string): commonV1.ContextMessage {
  return {
    message: { role: Role.ROLE_SYSTEM, content: [{ text }], name: '', toolCalls: [], toolCallId: '' },
    provenance: {
      layer: ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
      trust: TrustLevel.TRUST_LEVEL_TRUSTED,
      sourceId: ref,
      seqStart: 0,
      seqEnd: 0,
      citation: null,
    },
    tokenCount: 0,
  };
}
