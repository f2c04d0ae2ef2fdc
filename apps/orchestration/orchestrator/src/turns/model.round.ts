// Owns one model round of a turn: the gateway call (through ModelCall, with streamed output safety
// unless the answer is held back), the events it streams (released text, client tool-call fragments
// renumbered densely; server tool calls never reach the client), and what the trace keeps of it.
import { commonV1, orchestratorV1, type safetyV1 } from '@hearth/contracts';

import type { ModelGatewayAdapter } from '../clients/model-gateway.adapter';
import type { SafetyClient } from '../clients/upstream.clients';
import { ModelCall, type ModelCallResult } from './model-call';
import type { TurnSafetyLog } from './turn-safety.log';
import { timingsMs } from './turn-trace.recorder';
import type { TurnScope } from './turn.scope';

const { SafetyStage } = orchestratorV1;

export interface ModelRoundOptions {
  tools: commonV1.ToolDefinition[];
  toolChoice: commonV1.ToolChoice | null;
  /** Hold the text back (structured output): no streamed safety, nothing sent until it is released. */
  holdBack: boolean;
  placeholders: safetyV1.PlaceholderValue[];
  canaries: string[];
  clientToolNames: Set<string>;
}

export interface ModelRound {
  /** The model that served the latest round (after fallbacks). */
  readonly servedModel?: commonV1.ServedBy;
  run(round: number, prompt: commonV1.ContextMessage[], options: ModelRoundOptions): Promise<ModelCallResult>;
  /** Stops the round in flight, if any (its partial text is in its result). */
  cancel(): void;
}

export class GatewayModelRound implements ModelRound {
  servedModel?: commonV1.ServedBy;
  private current?: ModelCall;
  private calls = 0;

  constructor(
    private readonly scope: TurnScope,
    private readonly gateway: ModelGatewayAdapter,
    private readonly safety: SafetyClient,
    private readonly log: TurnSafetyLog,
  ) {}

  cancel(): void {
    this.current?.cancel();
  }

  async run(
    round: number,
    prompt: commonV1.ContextMessage[],
    options: ModelRoundOptions,
  ): Promise<ModelCallResult> {
    const { scope } = this;
    const request = scope.turn.request;
    const call = new ModelCall(this.gateway, this.safety);
    this.current = call;
    this.calls++;
    // One request id per model call, derived from the turn's: a replayed turn never runs again, and a
    // gateway retry of the same call is metered once.
    const requestId = `${request.requestId}:r${this.calls}`;
    const indexMap = new Map<number, number>();
    const result = await call.run({
      deadline: scope.deadline,
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
        deadline: new Date(scope.deadline),
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
          if (!options.holdBack) scope.emit({ content: { text } });
        },
        onToolCallDelta: (delta) => {
          // Client tools stream to the client (renumbered so their indexes stay dense); server tools don't.
          let index = indexMap.get(delta.index);
          if (index === undefined) {
            if (!options.clientToolNames.has(delta.name)) return;
            index = indexMap.size;
            indexMap.set(delta.index, index);
          }
          scope.emit({ toolCall: { ...delta, index } });
        },
        onSafety: (response) =>
          this.log.record(
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
    this.record(round, prompt, result);
    return result;
  }

  private record(round: number, prompt: commonV1.ContextMessage[], result: ModelCallResult): void {
    const { trace } = this.scope;
    trace.add('first_token', result.firstTokenMs ?? result.modelMs);
    trace.add('generation', result.modelMs - (result.firstTokenMs ?? result.modelMs));
    trace.add('safety_out', result.safetyTailMs);
    trace.addRound(
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
  }
}
