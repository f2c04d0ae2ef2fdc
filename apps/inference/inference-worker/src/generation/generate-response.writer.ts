// Owns shaping one generation's engine events into GenerateResponse messages: text deltas with their
// token ids; when a tool call was forced, the same output as tool-call argument fragments (index 0, a
// generated call id and the name on the first one); with tool_choice auto, text until the model
// commits to a call written in the template's syntax, then that call's arguments as fragments as they
// are generated (each call of a parallel answer with its own index and id); and the last message with
// the finish reason (TOOL_CALLS when a tool was called), usage and timings. The first message also
// carries the prompt's usage (prompt and cached tokens, no completion yet), so a caller whose stream
// is cut before the last message still knows what the prompt cost.
import { commonV1, durationFromMs, inferenceV1, newToolCallId } from '@hearth/contracts';

import { CallFragment, ToolCallTextParser } from '../engine/decode/tool-call-text.parser';
import { FinishReason, FunctionCallSyntax, GenerationEvent } from '../engine/generation.types';
import { ToolPlan } from './tool-choice.planner';

type StartedEvent = Extract<GenerationEvent, { type: 'started' }>;
type DeltaEvent = Extract<GenerationEvent, { type: 'delta' }>;
type DoneEvent = Extract<GenerationEvent, { type: 'done' }>;

const FINISH_REASONS: Record<FinishReason, commonV1.FinishReason> = {
  stop: commonV1.FinishReason.FINISH_REASON_STOP,
  length: commonV1.FinishReason.FINISH_REASON_LENGTH,
  cancelled: commonV1.FinishReason.FINISH_REASON_CANCELLED,
  deadline: commonV1.FinishReason.FINISH_REASON_CANCELLED,
};

export class GenerateResponseWriter {
  private readonly callId = newToolCallId();
  private callStarted = false;
  /** Output of a REQUIRED-with-several-tools call, parsed into name and arguments at the end. */
  private buffered = '';
  /** tool_choice auto: calls are read back from the text. */
  private readonly parser: ToolCallTextParser | undefined;
  private firstDeltaAt: number | undefined;
  private lastDeltaAt: number | undefined;
  /** The prompt's usage, until the first message has carried it. */
  private promptUsage: commonV1.Usage | undefined;

  constructor(
    private readonly plan: ToolPlan,
    /** performance.now() when the call arrived. */
    private readonly receivedAt: number,
    functionCallSyntax?: FunctionCallSyntax,
  ) {
    if (plan.kind === 'auto' && functionCallSyntax)
      this.parser = new ToolCallTextParser(
        functionCallSyntax,
        new Set(plan.tools.map((t) => t.name)),
        plan.parallel ? undefined : 1,
      );
  }

  /**
   * True once the answer is over although the model goes on (tool_choice auto: text after its calls,
   * or its one call with parallel calls off); generating further is pointless.
   */
  get answerEnded(): boolean {
    return this.parser?.ended ?? false;
  }

  /** Records the prompt's usage once the engine has admitted the request (sent with the first message). */
  started(event: StartedEvent): void {
    this.promptUsage = {
      promptTokens: event.promptTokens,
      completionTokens: 0,
      totalTokens: event.promptTokens,
      cachedPromptTokens: event.cachedPromptTokens,
    };
  }

  /** The message for a delta, or undefined when it is held back (a call whose name is not known yet). */
  delta(event: DeltaEvent, now = performance.now()): inferenceV1.GenerateResponse | undefined {
    const shaped = this.shapeDelta(event, now);
    if (shaped && this.promptUsage) {
      shaped.usage = this.promptUsage;
      this.promptUsage = undefined;
    }
    return shaped;
  }

  private shapeDelta(event: DeltaEvent, now: number): inferenceV1.GenerateResponse | undefined {
    this.firstDeltaAt ??= now;
    this.lastDeltaAt = now;
    const tokenIds = [...(event.tokenIds ?? [])];
    if (this.plan.kind === 'text') return message({ text: event.text, tokenIds });
    if (this.plan.kind === 'auto') {
      if (this.parser === undefined) return message({ text: event.text, tokenIds });
      const step = this.parser.push(event.text);
      return message({ text: step.text, tokenIds, toolCallDeltas: this.autoCallDeltas(step.calls) });
    }
    if (this.plan.kind === 'any') {
      this.buffered += event.text;
      return tokenIds.length > 0 ? message({ tokenIds }) : undefined;
    }
    return message({ tokenIds, toolCallDeltas: [this.fragment(this.plan.tool.name, event.text)] });
  }

  final(event: DoneEvent, now = performance.now()): inferenceV1.GenerateResponse {
    this.promptUsage = undefined;
    const toolCallDeltas: commonV1.ToolCallDelta[] = [];
    const text = this.parser ? this.parser.flush() : '';
    if (this.plan.kind === 'any') toolCallDeltas.push(this.parsedCall());
    else if (this.plan.kind === 'forced' && !this.callStarted)
      toolCallDeltas.push(this.fragment(this.plan.tool.name, ''));
    // Calls read from auto text end at the end of generation or by cancelling it (text after them);
    // a call cut by max_tokens is reported as such. A constrained call ends by stopping.
    const calledTool =
      this.plan.kind === 'auto'
        ? (this.parser?.callCount ?? 0) > 0 &&
          !(event.finishReason === 'length' && this.parser?.inCall === true)
        : this.plan.kind !== 'text' && event.finishReason === 'stop';
    const { usage, timings } = event;
    return message({
      text,
      toolCallDeltas,
      finishReason: calledTool
        ? commonV1.FinishReason.FINISH_REASON_TOOL_CALLS
        : FINISH_REASONS[event.finishReason],
      usage: {
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        totalTokens: usage.promptTokens + usage.completionTokens,
        cachedPromptTokens: usage.cachedPromptTokens,
      },
      timings: {
        queue: durationFromMs(timings.queuedMs),
        prefill:
          timings.timeToFirstTokenMs === undefined ? undefined : durationFromMs(timings.timeToFirstTokenMs),
        timeToFirstToken:
          this.firstDeltaAt === undefined ? undefined : durationFromMs(this.firstDeltaAt - this.receivedAt),
        decode:
          this.firstDeltaAt === undefined
            ? undefined
            : durationFromMs((this.lastDeltaAt ?? now) - this.firstDeltaAt),
        total: durationFromMs(now - this.receivedAt),
      },
    });
  }

  /** Fragments of auto calls as deltas, one per call: id and name on a call's first. */
  private autoCallDeltas(fragments: readonly CallFragment[]): commonV1.ToolCallDelta[] {
    const deltas: commonV1.ToolCallDelta[] = [];
    for (const fragment of fragments) {
      const last = deltas[deltas.length - 1];
      if (last?.index === fragment.index) {
        last.argumentsFragment += fragment.argumentsFragment;
        continue;
      }
      deltas.push({
        index: fragment.index,
        id: fragment.name === undefined ? '' : newToolCallId(),
        name: fragment.name ?? '',
        argumentsFragment: fragment.argumentsFragment,
      });
    }
    return deltas;
  }

  private fragment(name: string, argumentsFragment: string): commonV1.ToolCallDelta {
    const first = !this.callStarted;
    this.callStarted = true;
    return { index: 0, id: first ? this.callId : '', name: first ? name : '', argumentsFragment };
  }

  /** {"name", "arguments"} as one complete call; a truncated output keeps its raw text as arguments. */
  private parsedCall(): commonV1.ToolCallDelta {
    try {
      const parsed = JSON.parse(this.buffered) as { name?: unknown; arguments?: unknown };
      if (typeof parsed.name === 'string')
        return this.fragment(parsed.name, JSON.stringify(parsed.arguments ?? {}));
    } catch {
      // Cut off by max_tokens or the deadline: the caller sees finish_reason LENGTH/CANCELLED.
    }
    return this.fragment('', this.buffered);
  }
}

function message(fields: Partial<inferenceV1.GenerateResponse>): inferenceV1.GenerateResponse {
  return {
    text: '',
    tokenIds: [],
    toolCallDeltas: [],
    finishReason: commonV1.FinishReason.FINISH_REASON_UNSPECIFIED,
    ...fields,
  };
}
