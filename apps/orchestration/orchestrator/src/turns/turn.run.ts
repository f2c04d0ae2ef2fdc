// Owns the life of one turn after it was registered (messages and draft stored): context assembly,
// input safety (a block answers with the refusal, no model call), the model rounds with output safety
// on the stream, the bounded server-side tool loop, the structured-output check with one corrective
// retry, then the final message, trace, audit events and hot-window update. Every outcome ends with
// exactly one `finish` or `error` event and one stored final state: complete, incomplete (partial text
// kept) or blocked.
import { setTimeout as sleep } from 'node:timers/promises';

import { commonV1, contextV1, durationFromMs, orchestratorV1, safetyV1, toolsV1 } from '@hearth/contracts';
import type { Prisma } from '@hearth/db';
import { GrpcError } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';

import type { ModelGatewayAdapter } from '../clients/model-gateway.adapter';
import type { ContextClient, SafetyClient, ToolRunnerClient } from '../clients/upstream.clients';
import {
  citationsFor,
  DEFAULT_TOP_K,
  groundingInstruction,
  MARKER_TOKEN_SLACK,
  numberSources,
  ungroundedAnswer,
  type NumberedSource,
} from './grounding';
import { assistantJson, assistantMessage, textMessage, textOf, withText } from './message.mapper';
import { ModelCall, type ModelCallResult } from './model-call';
import { correctiveInstruction } from './structured-output.validator';
import type { ValidatedTurn } from './turn-request.validator';
import { timingsMs, TurnTraceRecorder } from './turn-trace.recorder';
import type { BegunTurn, FinishTurnInput, TurnStore } from './turn.store';

const { FinishReason, SafetyDecision, ContextLayer, TrustLevel, Role, ToolChoiceMode } = commonV1;
const { SafetyStage, ToolProgressStage } = orchestratorV1;

export interface TurnLimits {
  maxToolRounds: number;
  maxTokens: number;
  /** Deadline of each unary step (context, safety, tools). */
  stepTimeoutMs: number;
  /** Deadline of a whole turn. */
  turnTimeoutMs: number;
  /** How long a tool call waits for the user's approval before it is rejected (default 120 s). */
  confirmationWaitMs?: number;
}

/** How often a turn waiting on a confirmation re-reads the call's state from the tool runner. */
const CONFIRMATION_POLL_MS = 200;
const DEFAULT_CONFIRMATION_WAIT_MS = 120_000;
/** Said to the model on the round after the last tool round, so it answers instead of calling again. */
const TOOLS_EXHAUSTED_INSTRUCTION =
  'The tool-call limit of this turn is reached and no tools are available any more: answer the user now with the results you have.';

export interface TurnDeps {
  store: TurnStore;
  gateway: ModelGatewayAdapter;
  context: ContextClient;
  safety: SafetyClient;
  tools?: ToolRunnerClient;
  logger: Logger;
  limits: TurnLimits;
  /**
   * Hot-window appends still in flight, per conversation (they no longer delay `finish`). Unset: each
   * turn waits for its own append before finishing.
   */
  pendingAppends?: Map<string, Promise<void>>;
}

type Emit = (event: orchestratorV1.RunTurnResponse) => void;

const FINISH_NAMES: Record<number, string> = {
  [FinishReason.FINISH_REASON_STOP]: 'stop',
  [FinishReason.FINISH_REASON_LENGTH]: 'length',
  [FinishReason.FINISH_REASON_TOOL_CALLS]: 'tool_calls',
  [FinishReason.FINISH_REASON_CONTENT_FILTER]: 'content_filter',
  [FinishReason.FINISH_REASON_ERROR]: 'error',
  [FinishReason.FINISH_REASON_CANCELLED]: 'cancelled',
};

const DECISION_NAMES: Record<number, 'allowed' | 'redacted' | 'blocked_input' | 'blocked_output'> = {
  [SafetyDecision.SAFETY_DECISION_ALLOWED]: 'allowed',
  [SafetyDecision.SAFETY_DECISION_REDACTED]: 'redacted',
  [SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT]: 'blocked_input',
  [SafetyDecision.SAFETY_DECISION_BLOCKED_OUTPUT]: 'blocked_output',
};

/** Layers whose text has not been checked by an earlier turn. */
const CHECKED_LAYERS = new Set<commonV1.ContextLayer>([
  ContextLayer.CONTEXT_LAYER_INPUT,
  ContextLayer.CONTEXT_LAYER_RETRIEVAL,
  ContextLayer.CONTEXT_LAYER_TOOL_RESULT,
  ContextLayer.CONTEXT_LAYER_UNSPECIFIED,
]);

interface Outcome {
  finishReason: commonV1.FinishReason;
  text: string;
  toolCalls: commonV1.ToolCall[];
  status: 'complete' | 'incomplete' | 'blocked';
  refusal?: boolean;
  error?: commonV1.ErrorDetail;
}

export class TurnRun {
  readonly trace = new TurnTraceRecorder();
  private readonly abort = new AbortController();
  private current?: ModelCall;
  private readonly deadline: number;
  private servedModel?: commonV1.ServedBy;
  private modelCalls = 0;
  /** Retrieved chunks the model was given, by marker (grounded turns only). */
  private sources: NumberedSource[] = [];
  /** Set for turns with retrieval: sent as the `citations` event and stored in the trace. */
  private citations?: orchestratorV1.TurnCitations;
  /** The rolling summary the turn's context used (which version, which seqs), for the trace. */
  private summary?: commonV1.SummaryRef | null;
  private auditRules: {
    stage: 'input' | 'output';
    decision: string;
    ruleIds: string[];
    policyVersion: string;
  }[] = [];

  constructor(
    private readonly deps: TurnDeps,
    private readonly turn: ValidatedTurn,
    private readonly begun: BegunTurn,
    private readonly emit: Emit,
    persistMs: number,
    /** Server tools the caller may use and asked for (listed by the tool runner before the turn began). */
    private readonly serverTools: toolsV1.ToolInfo[] = [],
  ) {
    this.trace.add('persist', persistMs);
    this.deadline = Date.now() + deps.limits.turnTimeoutMs;
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /** Client went away or CancelTurn: stop the model now; the partial answer is kept. */
  cancel(): void {
    if (this.cancelled) return;
    this.abort.abort();
    this.current?.cancel();
  }

  async execute(): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await this.loop();
    } catch (error) {
      const missingFile = fileNotFound(error);
      if (missingFile && this.turn.request.retrieval?.enabled) {
        // A file id the caller may not read (another tenant's, deleted, never existed) is NOT_FOUND.
        outcome = {
          finishReason: FinishReason.FINISH_REASON_ERROR,
          text: '',
          toolCalls: [],
          status: 'incomplete',
          error: {
            code: status.NOT_FOUND,
            reason: 'FILE_NOT_FOUND',
            message: missingFile,
            partial: false,
            retryable: false,
          },
        };
        await this.finish(outcome);
        return;
      }
      this.deps.logger.error({ err: error, turnId: this.begun.turnId }, 'turn failed');
      outcome = {
        finishReason: FinishReason.FINISH_REASON_ERROR,
        text: '',
        toolCalls: [],
        status: 'incomplete',
        error: {
          code: status.INTERNAL,
          reason: 'INTERNAL',
          message: `the turn failed (turn id ${this.begun.turnId})`,
          partial: false,
          retryable: true,
        },
      };
    }
    if (this.cancelled && !outcome.error) {
      outcome = { ...outcome, finishReason: FinishReason.FINISH_REASON_CANCELLED, status: 'incomplete' };
    }
    if (this.sources.length > 0 && !this.citations) this.citations = citationsFor(outcome.text, this.sources);
    await this.finish(outcome);
  }

  private async loop(): Promise<Outcome> {
    const request = this.turn.request;
    const caller = request.caller as commonV1.Caller;
    const retrieval = request.retrieval?.enabled ? request.retrieval : undefined;
    const maxTokens = request.sampling?.maxTokens ?? 256;
    const assembled = await this.trace.time('context', async () => {
      // The previous turn's messages must be in the hot window before this one reads it.
      if (this.turn.conversationId) await this.deps.pendingAppends?.get(this.turn.conversationId);
      return this.deps.context.assembleContext(
        {
          caller,
          conversationId: this.turn.conversationId ?? '',
          // The citing instruction travels as a system message of the turn, so it is counted in the budget.
          newMessages: retrieval ? [groundingInstruction(), ...request.messages] : request.messages,
          model: request.model,
          tokenBudget: 0,
          // Room for the "Source [n]:" labels added after the context service counted the chunks.
          reservedCompletionTokens:
            maxTokens + (retrieval ? MARKER_TOKEN_SLACK * (retrieval.topK || DEFAULT_TOP_K) : 0),
          excludeMemory: false,
          retrieval: retrieval
            ? { query: retrieval.query, topK: retrieval.topK, fileIds: retrieval.fileIds }
            : null,
          historyBeforeSeq: this.begun.inputMessages[0]?.seq ?? 0,
        },
        { deadline: this.stepDeadline() },
      );
    });
    this.summary = assembled.summary;
    let prompt = assembled.messages;
    if (retrieval) {
      const numbered = numberSources(prompt);
      prompt = numbered.prompt;
      this.sources = numbered.sources;
      // Not ready, failed or nothing found: a deterministic answer, no model call (see README).
      const ungrounded = ungroundedAnswer(assembled.retrieval, this.sources);
      if (ungrounded) {
        this.citations = ungrounded.citations;
        this.emit({ content: { text: ungrounded.text } });
        return {
          finishReason: FinishReason.FINISH_REASON_STOP,
          text: ungrounded.text,
          toolCalls: [],
          status: 'complete',
        };
      }
    }

    const input = await this.trace.time('safety_in', () => this.checkInput(prompt));
    if (input.blocked) return input.blocked;
    prompt = input.prompt;
    const placeholders = input.placeholders;
    const canaries = input.canary ? [input.canary] : [];

    const serverDefinitions = this.serverTools
      .map((tool) => tool.definition)
      .filter((d): d is commonV1.ToolDefinition => !!d);
    const serverToolNames = new Set(serverDefinitions.map((tool) => tool.name));
    const clientToolNames = new Set(request.tools.map((tool) => tool.name));
    const maxToolRounds = Math.min(
      request.maxToolRounds || this.deps.limits.maxToolRounds,
      this.deps.limits.maxToolRounds,
    );
    let structuredRetryUsed = false;
    for (let round = 1; ; round++) {
      if (this.cancelled) return this.cancelledOutcome();
      // After the last tool round the model gets no server tools (and is told so), so the loop ends
      // with an answer even when the request forces a tool on every round.
      const toolsExhausted = serverDefinitions.length > 0 && round > maxToolRounds;
      const tools = [...request.tools, ...(toolsExhausted ? [] : serverDefinitions)];
      const holdBack = this.turn.outputValidator !== undefined;
      const result = await this.callModel(
        round,
        toolsExhausted
          ? [
              ...prompt,
              contextItem(
                textMessage(Role.ROLE_SYSTEM, TOOLS_EXHAUSTED_INSTRUCTION),
                ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
                TrustLevel.TRUST_LEVEL_TRUSTED,
              ),
            ]
          : prompt,
        {
          tools,
          toolChoice: toolChoiceFor(request.toolChoice, tools),
          holdBack,
          placeholders,
          canaries,
          clientToolNames,
        },
      );
      if (this.cancelled) return { ...this.cancelledOutcome(), text: result.text };
      if (result.blocked) {
        const refusal = result.blocked.refusal;
        if (refusal) this.emit({ content: { text: (result.text ? '\n\n' : '') + refusal } });
        return {
          finishReason: FinishReason.FINISH_REASON_CONTENT_FILTER,
          text: result.text + (refusal ? (result.text ? '\n\n' : '') + refusal : ''),
          toolCalls: [],
          status: 'blocked',
        };
      }
      if (result.error) {
        return {
          finishReason: FinishReason.FINISH_REASON_ERROR,
          text: result.text,
          toolCalls: result.toolCalls,
          status: 'incomplete',
          error: result.error,
        };
      }

      if (this.turn.outputValidator && result.finishReason === FinishReason.FINISH_REASON_STOP) {
        const validation = this.turn.outputValidator(result.text);
        if (!validation.valid) {
          if (!structuredRetryUsed && this.trace.usage.totalTokens < this.deps.limits.maxTokens) {
            structuredRetryUsed = true;
            prompt = [
              ...prompt,
              contextItem(
                assistantMessage(result.text),
                ContextLayer.CONTEXT_LAYER_TOOL_RESULT,
                TrustLevel.TRUST_LEVEL_UNTRUSTED,
              ),
              contextItem(
                textMessage(
                  Role.ROLE_SYSTEM,
                  correctiveInstruction(
                    validation.problem,
                    request.responseFormat as commonV1.ResponseFormat,
                  ),
                ),
                ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
                TrustLevel.TRUST_LEVEL_TRUSTED,
              ),
            ];
            continue;
          }
          return {
            finishReason: FinishReason.FINISH_REASON_ERROR,
            text: result.text,
            toolCalls: [],
            status: 'incomplete',
            error: {
              code: status.INTERNAL,
              reason: 'STRUCTURED_OUTPUT_INVALID',
              message: `the model's output did not match the requested response format after a retry: ${validation.problem}`,
              partial: false,
              retryable: true,
            },
          };
        }
      }
      if (holdBack && result.text) {
        // Structured output is released only once it validated (and passed output safety as a whole).
        const released = await this.trace.time('safety_out', () =>
          this.checkWholeOutput(result.text, placeholders, canaries),
        );
        if (released.blocked) return released.blocked;
        this.emit({ content: { text: released.text } });
        result.text = released.text;
      }

      const serverCalls = result.toolCalls.filter((call) => serverToolNames.has(call.name));
      const clientCalls = result.toolCalls.filter((call) => clientToolNames.has(call.name));
      // Client calls end the turn (the client runs them); server calls alongside them are not run.
      if (
        result.finishReason !== FinishReason.FINISH_REASON_TOOL_CALLS ||
        serverCalls.length === 0 ||
        clientCalls.length > 0
      ) {
        return {
          finishReason: result.finishReason,
          text: result.text,
          toolCalls: clientCalls,
          status: 'complete',
        };
      }
      // Server-side tools: run them, feed the results back, next round.
      if (this.trace.usage.totalTokens >= this.deps.limits.maxTokens) {
        return {
          finishReason: FinishReason.FINISH_REASON_LENGTH,
          text: result.text,
          toolCalls: [],
          status: 'complete',
        };
      }
      const results = await this.trace.time('tools', () => this.runServerTools(round, serverCalls));
      prompt = [
        ...prompt,
        contextItem(
          assistantMessage(result.text, serverCalls),
          ContextLayer.CONTEXT_LAYER_TOOL_RESULT,
          TrustLevel.TRUST_LEVEL_TRUSTED,
        ),
        ...results.map((message) =>
          contextItem(message, ContextLayer.CONTEXT_LAYER_TOOL_RESULT, TrustLevel.TRUST_LEVEL_UNTRUSTED),
        ),
      ];
      const checked = await this.trace.time('safety_in', () => this.checkInput(prompt));
      if (checked.blocked) return checked.blocked;
      prompt = checked.prompt;
    }
  }

  private async callModel(
    round: number,
    prompt: commonV1.ContextMessage[],
    options: {
      tools: commonV1.ToolDefinition[];
      toolChoice: commonV1.ToolChoice | null;
      holdBack: boolean;
      placeholders: safetyV1.PlaceholderValue[];
      canaries: string[];
      clientToolNames: Set<string>;
    },
  ): Promise<ModelCallResult> {
    const request = this.turn.request;
    const call = new ModelCall(this.deps.gateway, this.deps.safety);
    this.current = call;
    this.modelCalls++;
    // One request id per model call, derived from the turn's: a replayed turn never runs again, and a
    // gateway retry of the same call is metered once.
    const requestId = `${request.requestId}:r${this.modelCalls}`;
    const indexMap = new Map<number, number>();
    const result = await call.run({
      deadline: this.deadline,
      request: {
        caller: request.caller,
        requestId,
        model: request.model,
        messages: prompt.map((item) => item.message).filter((m): m is commonV1.ChatMessage => !!m),
        prompt: '',
        sampling: request.sampling,
        responseFormat: request.responseFormat,
        tools: options.tools,
        toolChoice: options.toolChoice,
        priority: commonV1.PriorityTier.PRIORITY_TIER_NORMAL,
        cacheSalt: '',
        deadline: new Date(this.deadline),
        bypassCache: false,
      },
      outputCheck: options.holdBack
        ? undefined
        : {
            caller: request.caller as commonV1.Caller,
            requestId: request.requestId,
            canaries: options.canaries,
            placeholders: options.placeholders,
          },
      hooks: {
        onText: (text) => {
          if (!options.holdBack) this.emit({ content: { text } });
        },
        onToolCallDelta: (delta) => {
          // Client tools stream to the client (renumbered so their indexes stay dense); server tools don't.
          let index = indexMap.get(delta.index);
          if (index === undefined) {
            if (!options.clientToolNames.has(delta.name)) return;
            index = indexMap.size;
            indexMap.set(delta.index, index);
          }
          this.emit({ toolCall: { ...delta, index } });
        },
        onSafety: (response) =>
          this.recordSafety(
            SafetyStage.SAFETY_STAGE_OUTPUT,
            response.decision,
            response.findings,
            response.policyVersion,
            true,
          ),
      },
    });
    this.current = undefined;
    if (result.servedBy) this.servedModel = result.servedBy;
    this.trace.add('first_token', result.firstTokenMs ?? result.modelMs);
    this.trace.add('generation', result.modelMs - (result.firstTokenMs ?? result.modelMs));
    this.trace.add('safety_out', result.safetyTailMs);
    this.trace.addRound(
      {
        round,
        outputText: result.text,
        toolCalls: result.toolCalls,
        finishReason: result.finishReason,
        usage: result.usage ?? {
          promptTokens: 0,
          completionTokens: 0,
          totalTokens: 0,
          cachedPromptTokens: 0,
        },
        timings: timingsMs(result.timings),
        servedBy: result.servedBy ?? null,
        modelMs: result.modelMs,
      },
      prompt,
    );
    return result;
  }

  private async checkInput(prompt: commonV1.ContextMessage[]): Promise<{
    prompt: commonV1.ContextMessage[];
    placeholders: safetyV1.PlaceholderValue[];
    canary?: string;
    blocked?: Outcome;
  }> {
    const request = this.turn.request;
    const items: safetyV1.InputItem[] = [];
    prompt.forEach((item, index) => {
      const message = item.message;
      if (!message || !CHECKED_LAYERS.has(item.provenance?.layer ?? ContextLayer.CONTEXT_LAYER_UNSPECIFIED))
        return;
      const text = textOf(message);
      if (text !== '')
        items.push({ itemId: String(index), role: message.role, text, provenance: item.provenance });
    });
    if (items.length === 0) return { prompt, placeholders: [] };
    const response = await this.deps.safety.checkInput(
      { caller: request.caller, requestId: request.requestId, items },
      { deadline: this.stepDeadline() },
    );
    this.recordSafety(
      SafetyStage.SAFETY_STAGE_INPUT,
      response.decision,
      response.findings,
      response.policyVersion,
      response.decision !== SafetyDecision.SAFETY_DECISION_ALLOWED,
    );
    if (response.decision === SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT) {
      const refusal = response.refusalMessage || 'I can’t help with that request.';
      this.emit({ content: { text: refusal } });
      return {
        prompt,
        placeholders: [],
        blocked: {
          finishReason: FinishReason.FINISH_REASON_CONTENT_FILTER,
          text: refusal,
          toolCalls: [],
          status: 'blocked',
          refusal: true,
        },
      };
    }
    let next = prompt;
    if (response.redactedItems.length > 0) {
      next = [...prompt];
      for (const redacted of response.redactedItems) {
        const index = Number(redacted.itemId);
        const item = next[index];
        if (item?.message) next[index] = { ...item, message: withText(item.message, redacted.redactedText) };
      }
    }
    return { prompt: next, placeholders: response.placeholders, canary: response.canary || undefined };
  }

  private async checkWholeOutput(
    text: string,
    placeholders: safetyV1.PlaceholderValue[],
    canaries: string[],
  ): Promise<{ text: string; blocked?: Outcome }> {
    const request = this.turn.request;
    const response = await new Promise<safetyV1.CheckOutputStreamResponse[]>((resolve, reject) => {
      const stream = this.deps.safety.checkOutputStream({ deadline: this.stepDeadline() });
      const responses: safetyV1.CheckOutputStreamResponse[] = [];
      stream.on('data', (r: safetyV1.CheckOutputStreamResponse) => responses.push(r));
      stream.on('error', reject);
      stream.on('end', () => resolve(responses));
      stream.write({
        start: { caller: request.caller, requestId: request.requestId, canaries, placeholders },
      });
      stream.write({ delta: text });
      stream.write({ end: {} });
      stream.end();
    });
    const stop = response.find((r) => r.stop);
    for (const r of response)
      if (r.findings.length > 0 || r.stop)
        this.recordSafety(SafetyStage.SAFETY_STAGE_OUTPUT, r.decision, r.findings, r.policyVersion, true);
    if (stop) {
      const refusal = stop.refusalMessage || 'The answer was withheld by the content policy.';
      this.emit({ content: { text: refusal } });
      return {
        text: '',
        blocked: {
          finishReason: FinishReason.FINISH_REASON_CONTENT_FILTER,
          text: refusal,
          toolCalls: [],
          status: 'blocked',
        },
      };
    }
    return { text: response.map((r) => r.releasedText).join('') };
  }

  private recordSafety(
    stage: orchestratorV1.SafetyStage,
    decision: commonV1.SafetyDecision,
    findings: safetyV1.SafetyFinding[],
    policyVersion: string,
    notify: boolean,
  ): void {
    const ruleIds = [...new Set(findings.map((finding) => finding.ruleId))];
    this.trace.safety.push({ stage, decision, ruleIds, policyVersion });
    if (decision !== SafetyDecision.SAFETY_DECISION_ALLOWED || ruleIds.length > 0) {
      this.auditRules.push({
        stage: stage === SafetyStage.SAFETY_STAGE_INPUT ? 'input' : 'output',
        decision: DECISION_NAMES[decision] ?? 'allowed',
        ruleIds,
        policyVersion,
      });
    }
    if (notify && decision !== SafetyDecision.SAFETY_DECISION_ALLOWED)
      this.emit({ safety: { stage, decision, ruleIds, policyVersion } });
  }

  private async runServerTools(round: number, calls: commonV1.ToolCall[]): Promise<commonV1.ChatMessage[]> {
    const stored = this.trace.rounds[this.trace.rounds.length - 1];
    const results: commonV1.ChatMessage[] = [];
    for (const call of calls) {
      const started = performance.now();
      const progress = (stage: orchestratorV1.ToolProgressStage, message = '') =>
        this.emit({
          toolProgress: {
            toolCallId: call.id,
            toolName: call.name,
            stage,
            round,
            message,
            elapsed: durationFromMs(performance.now() - started),
          },
        });
      progress(ToolProgressStage.TOOL_PROGRESS_STAGE_STARTED);
      let execution: toolsV1.ToolExecution | undefined;
      try {
        execution = await this.executeTool(call);
        if (execution?.status === toolsV1.ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION) {
          progress(ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION, execution.confirmationPrompt);
          execution = await this.awaitConfirmation(call);
        }
      } catch (error) {
        this.deps.logger.warn({ err: error, tool: call.name }, 'tool execution failed');
        execution = undefined;
      }
      const stage = stageOf(execution?.status);
      progress(stage);
      stored?.executions.push({
        toolCallId: call.id,
        toolName: call.name,
        stage,
        attempts: execution?.attempts ?? 0,
        durationMs: performance.now() - started,
      });
      results.push(textMessage(Role.ROLE_TOOL, toolResultContent(execution), { toolCallId: call.id }));
    }
    return results;
  }

  /**
   * ExecuteTool for one call. The idempotency key is derived from the turn's request id and the
   * model's call id, so a replayed or retried turn, and every re-read while waiting for a
   * confirmation, reaches the same tool_calls row: a side effect never runs twice.
   */
  private async executeTool(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined> {
    const request = this.turn.request;
    const deadline = Math.min(this.deadline, Date.now() + this.deps.limits.stepTimeoutMs * 10);
    const { execution } = await (this.deps.tools as ToolRunnerClient).executeTool(
      {
        caller: request.caller,
        requestId: request.requestId,
        conversationId: request.conversationId,
        callId: call.id,
        idempotencyKey: `${request.requestId}:${call.id}`,
        name: call.name,
        argumentsJson: call.argumentsJson,
        deadline: new Date(deadline),
      },
      { deadline },
    );
    return execution ?? undefined;
  }

  /**
   * The turn stays open while the user decides: the BFF's approve/reject endpoint calls the tool
   * runner's ResolveConfirmation, and this loop re-reads the call (a repeated ExecuteTool with the same
   * key never runs it) until it is no longer pending or running. When the wait runs out or the turn is
   * cancelled, the turn rejects the call itself, so it can never run later with nobody to read it.
   */
  private async awaitConfirmation(call: commonV1.ToolCall): Promise<toolsV1.ToolExecution | undefined> {
    const waitMs = this.deps.limits.confirmationWaitMs ?? DEFAULT_CONFIRMATION_WAIT_MS;
    const until = Math.min(this.deadline - this.deps.limits.stepTimeoutMs, Date.now() + waitMs);
    for (;;) {
      try {
        await sleep(CONFIRMATION_POLL_MS, undefined, { signal: this.abort.signal });
      } catch {
        // cancelled: fall through to the reject below
      }
      const execution = await this.executeTool(call);
      const open =
        execution?.status === toolsV1.ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION ||
        execution?.status === toolsV1.ToolCallStatus.TOOL_CALL_STATUS_RUNNING;
      if (!open) return execution;
      if (execution.status === toolsV1.ToolCallStatus.TOOL_CALL_STATUS_RUNNING) continue; // approved
      if (!this.cancelled && Date.now() < until) continue;
      try {
        const rejected = await (this.deps.tools as ToolRunnerClient).resolveConfirmation(
          {
            caller: this.turn.request.caller,
            callId: call.id,
            decision: toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_REJECT,
            reason: this.cancelled
              ? 'the turn was cancelled before the call was confirmed'
              : `not confirmed within ${Math.round(waitMs / 1000)} s`,
            deadline: null,
          },
          { timeoutMs: this.deps.limits.stepTimeoutMs },
        );
        return rejected.execution ?? undefined;
      } catch (error) {
        // FAILED_PRECONDITION: the user answered in the meantime; read the outcome once more.
        if ((error as { code?: number }).code !== status.FAILED_PRECONDITION) throw error;
      }
    }
  }

  private cancelledOutcome(): Outcome {
    return {
      finishReason: FinishReason.FINISH_REASON_CANCELLED,
      text: '',
      toolCalls: [],
      status: 'incomplete',
    };
  }

  private stepDeadline(): number {
    return Math.min(this.deadline, Date.now() + this.deps.limits.stepTimeoutMs);
  }

  private async finish(outcome: Outcome): Promise<void> {
    const request = this.turn.request;
    const caller = request.caller as commonV1.Caller;
    const finishName = FINISH_NAMES[outcome.finishReason] ?? 'stop';
    const finalizeStart = performance.now();
    const served = this.servedModel;
    const audit: FinishTurnInput['audit'] = [
      {
        actor: caller.userId ? { type: 'user', id: caller.userId } : { type: 'api_key', id: caller.apiKeyId },
        action: 'turn.completed',
        ruleIds: [],
        resource: { type: 'turn', id: this.begun.turnId },
        metadata: {
          finish_reason: finishName,
          model: served?.modelId ?? request.model,
          rounds: this.trace.rounds.length,
          input_tokens: this.trace.usage.promptTokens,
          output_tokens: this.trace.usage.completionTokens,
          conversation_id: this.turn.conversationId ?? null,
          error_reason: outcome.error?.reason ?? null,
        },
      },
      ...this.auditRules.map((rule) => ({
        actor: { type: 'service' as const, id: 'orchestrator' },
        action: `safety.${rule.stage}_check`,
        decision: rule.decision as 'allowed' | 'redacted' | 'blocked_input' | 'blocked_output',
        ruleIds: rule.ruleIds,
        resource: { type: 'turn', id: this.begun.turnId },
        metadata: { policy_version: rule.policyVersion },
      })),
    ];
    const params: Prisma.InputJsonObject = {
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
      maxToolRounds: request.maxToolRounds || this.deps.limits.maxToolRounds,
      retrieval: request.retrieval?.enabled
        ? { fileIds: request.retrieval.fileIds, topK: request.retrieval.topK, query: request.retrieval.query }
        : null,
      // The citation list as sent, with the dropped markers (read back by trace.mapper.ts and replays).
      citations: (this.citations ?? null) as unknown as Prisma.InputJsonObject | null,
      // Read back by trace.mapper.ts: which summary version (and seq range) served this turn.
      summary: (this.summary ?? null) as unknown as Prisma.InputJsonObject | null,
    } as Prisma.InputJsonObject;
    // The finish statement carries the latency, so `finalize` is the time to build it and `total` ends
    // where the statement is sent (its own round trip is the only step a trace cannot hold).
    this.trace.add('finalize', performance.now() - finalizeStart);
    const totalBeforeWrite = this.trace.elapsedMs() + (this.trace.steps.persist ?? 0);
    const finishInput: FinishTurnInput = {
      turnId: this.begun.turnId,
      tenantId: caller.tenantId,
      assistantMessageId: this.begun.assistantMessageId,
      message: this.begun.assistantMessageId
        ? {
            content: assistantJson(outcome.text, outcome.toolCalls, outcome.refusal),
            status: outcome.status,
            finishReason: finishName,
            tokenCount: this.trace.rounds[this.trace.rounds.length - 1]?.usage.completionTokens ?? 0,
            model: served?.modelId ?? request.model,
          }
        : undefined,
      trace: {
        finishReason: finishName,
        error: outcome.error ? ({ ...outcome.error } as Prisma.InputJsonObject) : undefined,
        model: served?.modelId ?? request.model,
        modelVersion: served?.modelSha256 || undefined,
        promptInput: this.trace.promptJson(),
        inputTokens: this.trace.usage.promptTokens,
        cachedTokens: this.trace.usage.cachedPromptTokens,
        outputTokens: this.trace.usage.completionTokens,
        safetyDecisions: this.trace.safetyJson(),
        toolRounds: this.trace.toolRoundsJson(),
        latency: this.trace.latencyJson(totalBeforeWrite),
        params,
      },
      audit,
    };
    try {
      await this.deps.store.finish(finishInput);
    } catch (error) {
      this.deps.logger.error({ err: error, turnId: this.begun.turnId }, 'turn finalization failed');
    }
    // The hot window is a cache the context service can rebuild from PostgreSQL: the client does not
    // wait for it. The next turn of this conversation in this process waits for it before assembling.
    const appended = this.appendHotWindow(outcome).catch((error: unknown) =>
      this.deps.logger.warn({ err: error, turnId: this.begun.turnId }, 'hot window append failed'),
    );
    const conversationId = this.turn.conversationId;
    const pending = this.deps.pendingAppends;
    if (conversationId && pending) {
      const tracked = appended.finally(() => {
        if (pending.get(conversationId) === tracked) pending.delete(conversationId);
      });
      pending.set(conversationId, tracked);
    } else {
      await appended;
    }

    if (outcome.error) {
      this.emit({ error: outcome.error });
      return;
    }
    if (this.citations) this.emit({ citations: this.citations });
    if (request.streamOptions?.includeUsage) this.emit({ usage: { ...this.trace.usage } });
    this.emit({
      finish: {
        finishReason: outcome.finishReason,
        duration: durationFromMs(this.trace.elapsedMs() + (this.trace.steps.persist ?? 0)),
      },
    });
  }

  private async appendHotWindow(outcome: Outcome): Promise<void> {
    if (!this.turn.conversationId || !this.begun.assistantMessageId) return;
    const stored: contextV1.StoredMessage[] = this.begun.inputMessages.map((m) => ({
      messageId: m.id,
      seq: m.seq,
      message: m.message,
      tokenCount: 0,
      createdAt: m.createdAt,
    }));
    stored.push({
      messageId: this.begun.assistantMessageId,
      seq: this.begun.assistantSeq ?? 0,
      message: assistantMessage(outcome.text, outcome.toolCalls, outcome.refusal),
      tokenCount: this.trace.rounds[this.trace.rounds.length - 1]?.usage.completionTokens ?? 0,
      createdAt: new Date(),
    });
    await this.deps.context.appendMessages(
      { caller: this.turn.request.caller, conversationId: this.turn.conversationId, messages: stored },
      { timeoutMs: this.deps.limits.stepTimeoutMs },
    );
  }
}

/** The context service's answer for a requested file the caller may not read (its message), or undefined. */
function fileNotFound(error: unknown): string | undefined {
  return error instanceof GrpcError && error.reason === 'FILE_NOT_FOUND' ? error.message : undefined;
}

function contextItem(
  message: commonV1.ChatMessage,
  layer: commonV1.ContextLayer,
  trust: commonV1.TrustLevel,
): commonV1.ContextMessage {
  return {
    message,
    provenance: { layer, trust, sourceId: message.toolCallId, seqStart: 0, seqEnd: 0, citation: null },
    tokenCount: 0,
  };
}

/** A forced or required tool choice only stands while its tool is offered on this round. */
function toolChoiceFor(
  choice: commonV1.ToolChoice | null | undefined,
  tools: commonV1.ToolDefinition[],
): commonV1.ToolChoice | null {
  if (!choice || tools.length === 0) return null;
  if (choice.mode === ToolChoiceMode.TOOL_CHOICE_MODE_FORCED && !tools.some((t) => t.name === choice.name))
    return { mode: ToolChoiceMode.TOOL_CHOICE_MODE_AUTO, name: '' };
  return choice;
}

/** What the model reads as the tool message: the result, or why there is none (never a stack). */
function toolResultContent(execution: toolsV1.ToolExecution | undefined): string {
  if (!execution) return JSON.stringify({ error: 'the tool is unavailable; it did not run' });
  switch (execution.status) {
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED:
      return execution.resultJson || '{}';
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_REJECTED:
      return JSON.stringify({
        error: 'the user rejected this tool call; it did not run',
        reason: execution.error?.message ?? '',
      });
    default:
      return JSON.stringify({
        error: execution.error?.message || 'the tool did not run',
        reason: execution.error?.reason ?? '',
      });
  }
}

function stageOf(value: toolsV1.ToolCallStatus | undefined): orchestratorV1.ToolProgressStage {
  switch (value) {
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_SUCCEEDED:
      return ToolProgressStage.TOOL_PROGRESS_STAGE_SUCCEEDED;
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_PENDING_CONFIRMATION:
      return ToolProgressStage.TOOL_PROGRESS_STAGE_PENDING_CONFIRMATION;
    case toolsV1.ToolCallStatus.TOOL_CALL_STATUS_REJECTED:
      return ToolProgressStage.TOOL_PROGRESS_STAGE_REJECTED;
    default:
      return ToolProgressStage.TOOL_PROGRESS_STAGE_FAILED;
  }
}
