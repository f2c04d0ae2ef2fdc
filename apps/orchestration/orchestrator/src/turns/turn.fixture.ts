// In-memory parts for the turn's unit specs: a validated request and its scope, and hand-written
// implementations of the loop's own collaborator interfaces (model round, guards, tool round,
// finalizer) that script what each returns and record what they were asked. No gRPC, no database.
import { PassThrough } from 'node:stream';

import { commonV1, orchestratorV1, type safetyV1 } from '@hearth/contracts';
import { createLogger, type Logger } from '@hearth/telemetry';

import { textMessage } from './message.mapper';
import type { ModelCallResult } from './model-call';
import type { ModelRound, ModelRoundOptions } from './model.round';
import type { ToolRound } from './server-tool.round';
import type { InputCheck, InputGuard } from './turn-input.guard';
import type { OutputGuard, OutputRelease } from './turn-output.guard';
import type { AssembledPrompt, PromptAssembler } from './turn-prompt.assembler';
import { validateTurnRequest } from './turn-request.validator';
import type { TurnFacts, TurnFinalizer } from './turn.finalizer';
import type { TurnOutcome } from './turn.outcome';
import { TurnScope } from './turn.scope';

const { FinishReason, Role } = commonV1;

export const TENANT_ID = '00000000-0000-4000-8000-000000000001';
export const API_KEY_ID = '00000000-0000-4000-8000-000000000002';

export function turnRequest(
  overrides: Partial<orchestratorV1.RunTurnRequest> = {},
): orchestratorV1.RunTurnRequest {
  return {
    caller: { tenantId: TENANT_ID, userId: '', apiKeyId: API_KEY_ID },
    requestId: 'req-1',
    idempotencyKey: '',
    detached: false,
    conversationId: '',
    parentMessageId: '',
    promptVariant: '',
    messages: [textMessage(Role.ROLE_USER, 'What is 2 + 2?')],
    model: 'tiny',
    tools: [],
    serverToolNames: [],
    maxToolRounds: 0,
    ...overrides,
  };
}

export interface ScopeOptions {
  request?: Partial<orchestratorV1.RunTurnRequest>;
  stepTimeoutMs?: number;
  turnTimeoutMs?: number;
}

/** A scope over a validated request; `events` collects what the turn sends. */
export function turnScope(options: ScopeOptions = {}): {
  scope: TurnScope;
  events: orchestratorV1.RunTurnResponse[];
} {
  const events: orchestratorV1.RunTurnResponse[] = [];
  const scope = new TurnScope(
    validateTurnRequest(turnRequest(options.request)),
    { turnId: 'turn-1', createdAt: new Date(), inputMessages: [] },
    (event) => events.push(event),
    { stepTimeoutMs: options.stepTimeoutMs ?? 1_000, turnTimeoutMs: options.turnTimeoutMs ?? 60_000 },
    0,
  );
  return { scope, events };
}

/** A logger whose lines the spec can read back (parsed). */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const logger = createLogger({ service: 'orchestrator', level: 'warn', destination: stream });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

export function modelResult(overrides: Partial<ModelCallResult> = {}): ModelCallResult {
  return {
    text: '',
    toolCalls: [],
    finishReason: FinishReason.FINISH_REASON_STOP,
    modelMs: 1,
    safetyTailMs: 0,
    ...overrides,
  };
}

export function toolCall(id: string, name: string, argumentsJson = '{}'): commonV1.ToolCall {
  return { id, name, argumentsJson };
}

/** Answers each round with the next scripted result (the last one repeats); records each request. */
export class ScriptedModelRound implements ModelRound {
  readonly calls: { round: number; prompt: commonV1.ContextMessage[]; options: ModelRoundOptions }[] = [];
  servedModel?: commonV1.ServedBy;
  cancelled = false;

  constructor(
    private readonly scope: TurnScope,
    private readonly script: ModelCallResult[],
    /** Tokens each round spends (as the gateway's usage would report them). */
    private readonly tokensPerRound = 10,
  ) {}

  run(
    round: number,
    prompt: commonV1.ContextMessage[],
    options: ModelRoundOptions,
  ): Promise<ModelCallResult> {
    this.calls.push({ round, prompt, options });
    const result = { ...(this.script[Math.min(round - 1, this.script.length - 1)] as ModelCallResult) };
    const usage = {
      promptTokens: 0,
      completionTokens: this.tokensPerRound,
      totalTokens: this.tokensPerRound,
      cachedPromptTokens: 0,
    };
    this.scope.trace.addRound(
      {
        round,
        outputText: result.text,
        toolCalls: result.toolCalls,
        finishReason: result.finishReason,
        usage,
        timings: { queue: 0, prefill: 0, timeToFirstToken: 0, decode: 0, total: 0 },
        servedBy: null,
        modelMs: 1,
      },
      prompt,
    );
    if (!options.holdBack && result.text) this.scope.emit({ content: { text: result.text } });
    return Promise.resolve(result);
  }

  cancel(): void {
    this.cancelled = true;
  }
}

/** The prompt as given, no context service. */
export class FixedPrompt implements PromptAssembler {
  constructor(private readonly assembled: Partial<AssembledPrompt> = {}) {}

  assemble(): Promise<AssembledPrompt> {
    return Promise.resolve({ prompt: [], sources: [], ...this.assembled });
  }
}

/** Passes every prompt unchanged, or blocks with `blocked`; records each check. */
export class RecordingInputGuard implements InputGuard {
  readonly checked: commonV1.ContextMessage[][] = [];

  constructor(private readonly blocked?: TurnOutcome) {}

  check(prompt: commonV1.ContextMessage[]): Promise<InputCheck> {
    this.checked.push(prompt);
    return Promise.resolve({ prompt, placeholders: [], blocked: this.blocked });
  }
}

/** Releases held-back text unchanged. */
export class ReleasingOutputGuard implements OutputGuard {
  readonly released: string[] = [];

  release(
    text: string,
    _placeholders: safetyV1.PlaceholderValue[],
    _canaries: string[],
  ): Promise<OutputRelease> {
    this.released.push(text);
    return Promise.resolve({ text });
  }
}

/** Answers every server call with a fixed result; `onRun` lets a spec act mid-round. */
export class RecordingToolRound implements ToolRound {
  readonly rounds: { round: number; calls: commonV1.ToolCall[] }[] = [];

  constructor(private readonly onRun?: () => void) {}

  run(round: number, calls: commonV1.ToolCall[]): Promise<commonV1.ChatMessage[]> {
    this.rounds.push({ round, calls });
    this.onRun?.();
    return Promise.resolve(
      calls.map((call) => textMessage(Role.ROLE_TOOL, '{"result":4}', { toolCallId: call.id })),
    );
  }
}

/** Keeps the outcome it was given. */
export class RecordingFinalizer implements TurnFinalizer {
  readonly finished: { outcome: TurnOutcome; facts: TurnFacts }[] = [];

  finish(outcome: TurnOutcome, facts: TurnFacts): Promise<void> {
    this.finished.push({ outcome, facts });
    return Promise.resolve();
  }
}
