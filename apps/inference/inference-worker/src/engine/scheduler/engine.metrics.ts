// Owns the engine's counters. Batch occupancy is observed at the llama.cpp boundary: every
// llama_decode call passes through the context's batch prioritization hook, which records how many
// sequences and tokens it carried, so "4 requests shared a batch" is a measured fact, not inferred.

export interface BatchObservation {
  readonly sequences: number;
  readonly tokens: number;
  /** Forward passes llama.cpp runs for it (see forward-passes.ts). */
  readonly passes: number;
}

/** Speculative decoding: tokens drafted and evaluated, and those the model generated itself (kept). */
export interface DraftTally {
  readonly proposed: number;
  readonly accepted: number;
}

export interface EngineMetricsSnapshot {
  /** Scheduler steps (one await of all active slots' work). */
  readonly steps: number;
  /** Sum over steps of slots active in the step. */
  readonly stepSlotsTotal: number;
  /** llama_decode calls and what they carried. */
  readonly decodeCalls: number;
  readonly decodeSequencesTotal: number;
  readonly decodeTokensTotal: number;
  readonly decodePassesTotal: number;
  readonly maxSequencesPerDecode: number;
  /** decodeCalls by the number of sequences in them: index n = calls with n sequences. */
  readonly sequencesPerDecodeHistogram: readonly number[];
  readonly meanSequencesPerDecode: number;
  readonly meanTokensPerDecode: number;
  readonly promptTokens: number;
  readonly cachedPromptTokens: number;
  readonly completionTokens: number;
  /** Speculative decoding: drafted tokens the model evaluated, and those it accepted. */
  readonly draftTokensProposed: number;
  readonly draftTokensAccepted: number;
  readonly requestsStarted: number;
  readonly requestsFinished: Readonly<Record<string, number>>;
  readonly requestsRejected: number;
  readonly activeSlots: number;
  readonly queueDepth: number;
}

export class EngineMetrics {
  steps = 0;
  stepSlotsTotal = 0;
  decodeCalls = 0;
  decodeSequencesTotal = 0;
  decodeTokensTotal = 0;
  decodePassesTotal = 0;
  maxSequencesPerDecode = 0;
  readonly histogram: number[] = [];
  promptTokens = 0;
  cachedPromptTokens = 0;
  completionTokens = 0;
  draftTokensProposed = 0;
  draftTokensAccepted = 0;
  requestsStarted = 0;
  requestsRejected = 0;
  readonly requestsFinished: Record<string, number> = {};

  recordDecode({ sequences, tokens, passes }: BatchObservation): void {
    this.decodeCalls++;
    this.decodeSequencesTotal += sequences;
    this.decodeTokensTotal += tokens;
    this.decodePassesTotal += passes;
    this.maxSequencesPerDecode = Math.max(this.maxSequencesPerDecode, sequences);
    while (this.histogram.length <= sequences) this.histogram.push(0);
    this.histogram[sequences]++;
  }

  recordStep(activeSlots: number): void {
    this.steps++;
    this.stepSlotsTotal += activeSlots;
  }

  recordDrafts({ proposed, accepted }: DraftTally): void {
    this.draftTokensProposed += proposed;
    this.draftTokensAccepted += accepted;
  }

  recordFinish(reason: string): void {
    this.requestsFinished[reason] = (this.requestsFinished[reason] ?? 0) + 1;
  }

  snapshot(live: { activeSlots: number; queueDepth: number }): EngineMetricsSnapshot {
    return {
      steps: this.steps,
      stepSlotsTotal: this.stepSlotsTotal,
      decodeCalls: this.decodeCalls,
      decodeSequencesTotal: this.decodeSequencesTotal,
      decodeTokensTotal: this.decodeTokensTotal,
      decodePassesTotal: this.decodePassesTotal,
      maxSequencesPerDecode: this.maxSequencesPerDecode,
      sequencesPerDecodeHistogram: [...this.histogram],
      meanSequencesPerDecode: this.decodeCalls === 0 ? 0 : this.decodeSequencesTotal / this.decodeCalls,
      meanTokensPerDecode: this.decodeCalls === 0 ? 0 : this.decodeTokensTotal / this.decodeCalls,
      promptTokens: this.promptTokens,
      cachedPromptTokens: this.cachedPromptTokens,
      completionTokens: this.completionTokens,
      draftTokensProposed: this.draftTokensProposed,
      draftTokensAccepted: this.draftTokensAccepted,
      requestsStarted: this.requestsStarted,
      requestsFinished: { ...this.requestsFinished },
      requestsRejected: this.requestsRejected,
      activeSlots: live.activeSlots,
      queueDepth: live.queueDepth,
    };
  }
}
