// Owns "over the last minute" for the load figures Stats and /metrics report: it samples the
// engine's cumulative counters every few seconds and answers with the difference between now and the
// oldest sample inside the window, so one busy second does not read as a busy minute.
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';

import { INFERENCE_ENGINE } from '../app/worker.constants';
import type { InferenceEngine } from '../engine/inference.engine';
import type { EngineMetricsSnapshot } from '../engine/scheduler/engine.metrics';

export interface LoadFigures {
  /** Mean sequences per llama_decode call divided by the slot count, 0 to 1. */
  readonly batchOccupancy: number;
  /** Prompt tokens served from the prefix cache over prompt tokens, 0 to 1. */
  readonly prefixCacheHitRatio: number;
  /** Generated tokens per second, all sequences together. */
  readonly tokensPerSecond: number;
}

interface Sample {
  readonly at: number;
  readonly decodeCalls: number;
  readonly decodeSequences: number;
  readonly promptTokens: number;
  readonly cachedPromptTokens: number;
  readonly completionTokens: number;
}

const WINDOW_MS = 60_000;
const SAMPLE_EVERY_MS = 5_000;

@Injectable()
export class LoadWindowService implements OnModuleDestroy {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(@Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  figures(now = Date.now()): LoadFigures {
    const current = toSample(this.engine.metrics(), now);
    // The newest sample at least a window old (or the first one, early in the process's life).
    let base = this.samples[0];
    for (const sample of this.samples) if (now - sample.at >= WINDOW_MS) base = sample;
    const calls = current.decodeCalls - base.decodeCalls;
    const prompt = current.promptTokens - base.promptTokens;
    const seconds = Math.max((now - base.at) / 1000, 1);
    return {
      batchOccupancy:
        calls === 0 ? 0 : (current.decodeSequences - base.decodeSequences) / calls / this.engine.info.slots,
      prefixCacheHitRatio: prompt === 0 ? 0 : (current.cachedPromptTokens - base.cachedPromptTokens) / prompt,
      tokensPerSecond: (current.completionTokens - base.completionTokens) / seconds,
    };
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = Date.now();
    this.samples.push(toSample(this.engine.metrics(), now));
    // Keep one sample older than the window, so a full minute is always covered.
    while (this.samples.length > 2 && now - this.samples[1].at > WINDOW_MS) this.samples.shift();
  }
}

function toSample(snapshot: EngineMetricsSnapshot, at: number): Sample {
  return {
    at,
    decodeCalls: snapshot.decodeCalls,
    decodeSequences: snapshot.decodeSequencesTotal,
    promptTokens: snapshot.promptTokens,
    cachedPromptTokens: snapshot.cachedPromptTokens,
    completionTokens: snapshot.completionTokens,
  };
}
