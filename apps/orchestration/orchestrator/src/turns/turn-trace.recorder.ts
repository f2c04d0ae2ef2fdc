// Owns what a turn's trace accumulates while it runs — every model call's exact prompt (with
// provenance), output, usage, timings and served model; safety decisions as codes; tool executions;
// and milliseconds per step — and its stored JSON shape, read back by trace.mapper.ts.
import { commonV1, durationToMs, orchestratorV1 } from '@hearth/contracts';
import { jsonbSafe, type Prisma } from '@hearth/db';

export type TurnStep =
  'persist' | 'context' | 'safety_in' | 'first_token' | 'generation' | 'safety_out' | 'tools' | 'finalize';

export interface StoredRound {
  round: number;
  outputText: string;
  toolCalls: commonV1.ToolCall[];
  finishReason: commonV1.FinishReason;
  usage: commonV1.Usage;
  /** Worker timings in ms. */
  timings: { queue: number; prefill: number; timeToFirstToken: number; decode: number; total: number };
  servedBy: commonV1.ServedBy | null;
  /** ms the orchestrator waited on the gateway for this call. */
  modelMs: number;
  executions: StoredExecution[];
}

export interface StoredExecution {
  toolCallId: string;
  toolName: string;
  stage: orchestratorV1.ToolProgressStage;
  attempts: number;
  durationMs: number;
}

export interface StoredSafety {
  stage: orchestratorV1.SafetyStage;
  decision: commonV1.SafetyDecision;
  ruleIds: string[];
  policyVersion: string;
}

export class TurnTraceRecorder {
  readonly prompts: commonV1.ContextMessage[][] = [];
  readonly rounds: StoredRound[] = [];
  readonly safety: StoredSafety[] = [];
  readonly steps: Partial<Record<TurnStep, number>> = {};
  /** Versions of the platform's prompts the model was given (libs/prompts refs), in prompt order. */
  readonly promptVersions: string[] = [];
  readonly usage: commonV1.Usage = {
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    cachedPromptTokens: 0,
  };
  private readonly startedAt = performance.now();

  /** Adds `ms` to a step (steps recur once per round). */
  add(step: TurnStep, ms: number): void {
    this.steps[step] = (this.steps[step] ?? 0) + ms;
  }

  /** Times `work` into `step`. */
  async time<T>(step: TurnStep, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.add(step, performance.now() - start);
    }
  }

  addRound(round: Omit<StoredRound, 'executions'>, prompt: commonV1.ContextMessage[]): StoredRound {
    const stored = { ...round, executions: [] };
    this.rounds.push(stored);
    this.prompts.push(prompt);
    this.usage.promptTokens += round.usage.promptTokens;
    this.usage.completionTokens += round.usage.completionTokens;
    this.usage.totalTokens += round.usage.totalTokens;
    this.usage.cachedPromptTokens += round.usage.cachedPromptTokens;
    // The gateway priced each round once; the turn's cost is their sum (one registry, one currency).
    if (round.usage.costMicros != null) {
      this.usage.costMicros = (this.usage.costMicros ?? 0) + round.usage.costMicros;
      this.usage.currency = round.usage.currency ?? this.usage.currency;
    }
    return stored;
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** Model time: what the orchestrator spent waiting on the gateway, every round. */
  modelMs(): number {
    return this.rounds.reduce((sum, round) => sum + round.modelMs, 0);
  }

  latencyJson(totalMs: number): Prisma.InputJsonObject {
    const round = (ms: number) => Math.round(ms * 1000) / 1000;
    const steps = Object.fromEntries(Object.entries(this.steps).map(([step, ms]) => [step, round(ms)]));
    const model = this.modelMs();
    return {
      ...steps,
      model: round(model),
      total: round(totalMs),
      overhead: round(Math.max(0, totalMs - model)),
    };
  }

  // The trace quotes what clients and the model wrote: made storable in jsonb (see @hearth/db's jsonbSafe).
  toolRoundsJson(): Prisma.InputJsonArray {
    return jsonbSafe(this.rounds) as unknown as Prisma.InputJsonArray;
  }

  promptJson(): Prisma.InputJsonArray {
    return jsonbSafe(this.prompts) as unknown as Prisma.InputJsonArray;
  }

  safetyJson(): Prisma.InputJsonArray {
    return jsonbSafe(this.safety) as unknown as Prisma.InputJsonArray;
  }
}

export function timingsMs(timings: commonV1.GenerationTimings | undefined): StoredRound['timings'] {
  return {
    queue: durationToMs(timings?.queue),
    prefill: durationToMs(timings?.prefill),
    timeToFirstToken: durationToMs(timings?.timeToFirstToken),
    decode: durationToMs(timings?.decode),
    total: durationToMs(timings?.total),
  };
}
