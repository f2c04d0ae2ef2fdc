// Owns the loop of one turn after it was registered (messages and draft stored): assemble the prompt,
// guard the input (a block answers with the refusal, no model call), then model rounds until one ends
// the turn: output safety on the stream (or, for held-back structured output, on the whole answer),
// the structured-output check with one corrective round, and a bounded number of server-side tool
// rounds. Each step is a collaborator (turn-run.factory.ts builds them); the loop only decides what
// comes next. Every outcome ends through the finalizer: exactly one `finish` or `error` event and one
// stored final state: complete, incomplete (partial text kept) or blocked. Each step is a span of the
// turn's trace (`turn.assemble_context`, `turn.input_check`, `turn.model_round`, `turn.tool_round`),
// so the calls it makes (context service, safety, gateway, tool runner) hang under the step.
import { commonV1, type toolsV1 } from '@hearth/contracts';
import { GrpcError } from '@hearth/grpc';
import { withSpan, type Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';

import { citationsFor } from './grounding';
import { assistantMessage, contextItem, textMessage } from './message.mapper';
import type { ModelRound } from './model.round';
import type { ToolRound } from './server-tool.round';
import type { StructuredOutputCheck } from './structured-output.retry';
import type { InputGuard } from './turn-input.guard';
import type { OutputGuard } from './turn-output.guard';
import type { AssembledPrompt, PromptAssembler } from './turn-prompt.assembler';
import type { TurnFinalizer } from './turn.finalizer';
import { blockedOutcome, cancelledOutcome, failedOutcome, type TurnOutcome } from './turn.outcome';
import type { TurnScope } from './turn.scope';

const { FinishReason, ContextLayer, TrustLevel, Role, ToolChoiceMode } = commonV1;

/** Said to the model on the round after the last tool round, so it answers instead of calling again. */
export const TOOLS_EXHAUSTED_INSTRUCTION =
  'The tool-call limit of this turn is reached and no tools are available any more: answer the user now with the results you have.';

export interface TurnLimits {
  maxToolRounds: number;
  /** Tokens (prompt + completion, all rounds) after which the turn starts no further model call. */
  maxTokens: number;
}

export interface TurnParts {
  prompt: PromptAssembler;
  input: InputGuard;
  output: OutputGuard;
  model: ModelRound;
  structured: StructuredOutputCheck;
  tools: ToolRound;
  finalizer: TurnFinalizer;
}

export class TurnRun {
  private assembled?: AssembledPrompt;

  constructor(
    readonly scope: TurnScope,
    private readonly parts: TurnParts,
    private readonly limits: TurnLimits,
    private readonly logger: Logger,
    /** Server tools the caller may use and asked for (listed by the tool runner before the turn began). */
    private readonly serverTools: toolsV1.ToolInfo[] = [],
  ) {}

  get cancelled(): boolean {
    return this.scope.cancelled;
  }

  /** Client went away or CancelTurn: stop the model now; the partial answer is kept. */
  cancel(): void {
    if (this.cancelled) return;
    this.scope.cancel();
    this.parts.model.cancel();
  }

  async execute(): Promise<void> {
    const { turnId } = this.scope.begun;
    let outcome: TurnOutcome;
    try {
      outcome = await this.loop();
      if (this.cancelled && !outcome.error)
        outcome = { ...outcome, finishReason: FinishReason.FINISH_REASON_CANCELLED, status: 'incomplete' };
    } catch (error) {
      const missing = callerNotFound(error, this.scope.turn.request.retrieval?.enabled === true);
      const refused = upstreamRefused(error);
      const away = upstreamAway(error);
      if (refused) {
        // The request itself is at fault (a prompt longer than the model's context, max_tokens
        // beyond it) or over a limit: the client learns why, as the service that refused said it.
        outcome = failedOutcome({
          code: refused.code,
          reason: refused.reason,
          message: refused.message,
          partial: false,
          retryable: refused.code === status.RESOURCE_EXHAUSTED,
        });
      } else if (missing) {
        outcome = failedOutcome({
          code: status.NOT_FOUND,
          reason: missing.reason,
          message: missing.message,
          partial: false,
          retryable: false,
        });
      } else if (away) {
        // A service the turn needed before its answer (context, safety, tools, token counting) is
        // down or restarting: retryable, and said so, rather than an internal error.
        this.logger.warn({ err: error, turnId }, 'turn failed: an upstream service is unavailable');
        outcome = failedOutcome({
          code: status.UNAVAILABLE,
          reason: 'SERVICE_UNAVAILABLE',
          message: `${away.upstream ?? 'a service'} is temporarily unavailable (turn id ${turnId})`,
          partial: false,
          retryable: true,
        });
      } else {
        this.logger.error({ err: error, turnId }, 'turn failed');
        outcome = failedOutcome({
          code: status.INTERNAL,
          reason: 'INTERNAL',
          message: `the turn failed (turn id ${turnId})`,
          partial: false,
          retryable: true,
        });
      }
    }
    const sources = this.assembled?.sources ?? [];
    const citations =
      this.assembled?.citations ?? (sources.length > 0 ? citationsFor(outcome.text, sources) : undefined);
    await this.parts.finalizer.finish(outcome, {
      servedModel: this.parts.model.servedModel,
      citations,
      summary: this.assembled?.summary,
    });
  }

  private async loop(): Promise<TurnOutcome> {
    const { parts, scope } = this;
    const request = scope.turn.request;
    // Without retrieval the new messages are all the assembled prompt has to check: their check runs
    // while the context is assembled (turn-input.guard.ts).
    if (!request.retrieval?.enabled) parts.input.checkEarly?.(request.messages);
    const assembled = await withSpan('turn.assemble_context', () => parts.prompt.assemble());
    this.assembled = assembled;
    if (assembled.answer) return assembled.answer;

    const input = await withSpan('turn.input_check', () => parts.input.check(assembled.prompt));
    if (input.blocked) return input.blocked;
    let prompt = input.prompt;
    const placeholders = input.placeholders;
    const canaries = input.canary ? [input.canary] : [];

    const serverDefinitions = this.serverTools
      .map((tool) => tool.definition)
      .filter((d): d is commonV1.ToolDefinition => !!d);
    const serverToolNames = new Set(serverDefinitions.map((tool) => tool.name));
    const clientToolNames = new Set(request.tools.map((tool) => tool.name));
    const maxToolRounds = Math.min(
      request.maxToolRounds || this.limits.maxToolRounds,
      this.limits.maxToolRounds,
    );
    const holdBack = scope.turn.outputValidator !== undefined;
    for (let round = 1; ; round++) {
      if (this.cancelled) return cancelledOutcome();
      // After the last tool round the model gets no server tools (and is told so), so the loop ends
      // with an answer even when the request forces a tool on every round.
      const toolsExhausted = serverDefinitions.length > 0 && round > maxToolRounds;
      const tools = [...request.tools, ...(toolsExhausted ? [] : serverDefinitions)];
      const roundPrompt = toolsExhausted ? [...prompt, toolsExhaustedItem()] : prompt;
      const result = await withSpan(
        'turn.model_round',
        () =>
          parts.model.run(round, roundPrompt, {
            tools,
            toolChoice: toolChoiceFor(request.toolChoice, tools),
            holdBack,
            placeholders,
            canaries,
            clientToolNames,
          }),
        { attributes: { 'hearth.round': round } },
      );
      if (this.cancelled) return cancelledOutcome(result.text);
      if (result.blocked) {
        const refusal = result.blocked.refusal;
        if (refusal) scope.emit({ content: { text: (result.text ? '\n\n' : '') + refusal } });
        return blockedOutcome(result.text + (refusal ? (result.text ? '\n\n' : '') + refusal : ''));
      }
      if (result.error) return failedOutcome(result.error, result.text, result.toolCalls);

      const review = parts.structured.review(
        result.text,
        result.finishReason,
        prompt,
        scope.trace.usage.totalTokens,
      );
      if (review.verdict === 'retry') {
        prompt = review.prompt;
        continue;
      }
      if (review.verdict === 'fail') return review.outcome;
      if (holdBack && result.text) {
        // Structured output is released only once it validated (and passed output safety as a whole).
        const released = await parts.output.release(result.text, placeholders, canaries);
        if (released.blocked) return released.blocked;
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
      if (scope.trace.usage.totalTokens >= this.limits.maxTokens)
        return {
          finishReason: FinishReason.FINISH_REASON_LENGTH,
          text: result.text,
          toolCalls: [],
          status: 'complete',
        };
      const results = await withSpan('turn.tool_round', () => parts.tools.run(round, serverCalls), {
        attributes: { 'hearth.round': round, 'hearth.tool_calls': serverCalls.length },
      });
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
      const toolResults = prompt;
      const checked = await withSpan('turn.input_check', () => parts.input.check(toolResults));
      if (checked.blocked) return checked.blocked;
      prompt = checked.prompt;
    }
  }
}

/** The context service's answer for a requested file the caller may not read (its message), or undefined. */
/**
 * A NOT_FOUND the caller's request caused, passed on as such: an unknown model, or (with retrieval) a
 * file id the caller may not read (another tenant's, deleted, never existed).
 */
/** An upstream's status saying it is down, restarting or overloaded (not the request's fault). */
function upstreamAway(error: unknown): GrpcError | undefined {
  if (!(error instanceof GrpcError) || error.upstream === undefined) return undefined;
  return [status.UNAVAILABLE, status.DEADLINE_EXCEEDED].includes(error.code) ? error : undefined;
}

/** Upstream statuses that describe the client's request, passed on as they are. */
const REQUEST_REFUSALS: readonly status[] = [
  status.INVALID_ARGUMENT,
  status.OUT_OF_RANGE,
  status.RESOURCE_EXHAUSTED,
];

function upstreamRefused(error: unknown): GrpcError | undefined {
  if (!(error instanceof GrpcError) || error.upstream === undefined) return undefined;
  return REQUEST_REFUSALS.includes(error.code) ? error : undefined;
}

function callerNotFound(error: unknown, retrieval: boolean): GrpcError | undefined {
  if (!(error instanceof GrpcError)) return undefined;
  if (error.reason === 'MODEL_NOT_FOUND' || (retrieval && error.reason === 'FILE_NOT_FOUND')) return error;
  return undefined;
}

function toolsExhaustedItem(): commonV1.ContextMessage {
  return contextItem(
    textMessage(Role.ROLE_SYSTEM, TOOLS_EXHAUSTED_INSTRUCTION),
    ContextLayer.CONTEXT_LAYER_INSTRUCTIONS,
    TrustLevel.TRUST_LEVEL_TRUSTED,
  );
}

/** A forced or required tool choice only stands while its tool is offered on this round. */
function toolChoiceFor(
  choice: commonV1.ToolChoice | null | undefined,
  tools: commonV1.ToolDefinition[],
): commonV1.ToolChoice | null {
  if (!choice || tools.length === 0) return null;
  if (choice.mode === ToolChoiceMode.TOOL_CHOICE_MODE_FORCED && !tools.some((t) => t.name === choice.name))
    return { ...choice, mode: ToolChoiceMode.TOOL_CHOICE_MODE_AUTO, name: '' };
  return choice;
}
