// Owns the worker's Prometheus series. Latencies seen at the gRPC edge (time to first token,
// inter-token gaps, request outcomes) are observed as they happen; everything the engine already
// counts (tokens, decode batch sizes, prefix reuse, slots, queue, KV cells) is read from its
// snapshot at scrape time, so the engine stays the one source of truth.
import { EVENT_LOOP_MONITORING_PRECISION_MS } from '@hearth/telemetry';

import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import { INFERENCE_ENGINE, MODEL_IDENTITY } from '../app/worker.constants';
import type { ModelIdentity } from '../app/worker.constants';
import type { InferenceEngine } from '../engine/inference.engine';
import type { EngineMetricsSnapshot } from '../engine/scheduler/engine.metrics';
import { WorkerLifecycleService } from '../lifecycle/worker-lifecycle.service';
import { LoadWindowService } from '../stats/load-window.service';

const PREFIX = 'hearth_inference_';

@Injectable()
export class WorkerMetricsService {
  readonly registry = new Registry();
  private readonly ttft: Histogram;
  private readonly interToken: Histogram;
  private readonly queueWait: Histogram;
  private readonly requests: Counter<'outcome'>;
  /** Engine counters already exported, so each scrape adds only what is new. */
  private synced = {
    completion: 0,
    prompt: 0,
    cached: 0,
    draftProposed: 0,
    draftAccepted: 0,
    decodes: 0,
    passes: 0,
    decodeHistogram: [] as number[],
  };

  constructor(
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    @Inject(MODEL_IDENTITY) model: ModelIdentity,
    @Inject(WorkerLifecycleService) lifecycle: WorkerLifecycleService,
    @Inject(LoadWindowService) load: LoadWindowService,
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ model_id: model.id });
    collectDefaultMetrics({
      register: this.registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS,
    });
    this.ttft = new Histogram({
      name: `${PREFIX}time_to_first_token_seconds`,
      help: 'From receiving a Generate call to its first generated text (queue and prefill included).',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.interToken = new Histogram({
      name: `${PREFIX}inter_token_latency_seconds`,
      help: 'Gap between consecutive streamed deltas of one generation, per token.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.queueWait = new Histogram({
      name: `${PREFIX}queue_wait_seconds`,
      help: 'From admission to a slot taking the request (the part of time to first token spent waiting).',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.requests = new Counter({
      name: `${PREFIX}requests_total`,
      help: 'Generate calls by outcome: a finish reason, or the gRPC status they failed with.',
      labelNames: ['outcome'],
      registers,
    });
    const sync = (): EngineMetricsSnapshot => this.engine.metrics();
    const synced = this.synced;
    new Counter({
      name: `${PREFIX}generated_tokens_total`,
      help: 'Completion tokens sampled, all requests.',
      registers,
      collect() {
        const total = sync().completionTokens;
        this.inc(total - synced.completion);
        synced.completion = total;
      },
    });
    new Counter({
      name: `${PREFIX}prompt_tokens_total`,
      help: 'Prompt tokens of admitted requests, cached ones included.',
      registers,
      collect() {
        const total = sync().promptTokens;
        this.inc(total - synced.prompt);
        synced.prompt = total;
      },
    });
    new Counter({
      name: `${PREFIX}cached_prompt_tokens_total`,
      help: 'Prompt tokens served from the prefix KV cache instead of being prefilled.',
      registers,
      collect() {
        const total = sync().cachedPromptTokens;
        this.inc(total - synced.cached);
        synced.cached = total;
      },
    });
    // Acceptance rate = accepted / proposed; both stay at 0 with WORKER_SPECULATIVE_DRAFTING=off.
    new Counter({
      name: `${PREFIX}draft_tokens_proposed_total`,
      help: 'Speculative decoding: drafted tokens the model evaluated alongside the next token.',
      registers,
      collect() {
        const total = sync().draftTokensProposed;
        this.inc(total - synced.draftProposed);
        synced.draftProposed = total;
      },
    });
    new Counter({
      name: `${PREFIX}draft_tokens_accepted_total`,
      help: 'Speculative decoding: drafted tokens the model would have generated itself (kept).',
      registers,
      collect() {
        const total = sync().draftTokensAccepted;
        this.inc(total - synced.draftAccepted);
        synced.draftAccepted = total;
      },
    });
    // Passes per decode above 1 are micro-batches split by sequence id (slots far apart) or by uneven
    // prompt chunks: each is another pass over the weights.
    new Counter({
      name: `${PREFIX}decode_calls_total`,
      help: 'llama_decode calls (each one scheduler step of every running slot).',
      registers,
      collect() {
        const total = sync().decodeCalls;
        this.inc(total - synced.decodes);
        synced.decodes = total;
      },
    });
    new Counter({
      name: `${PREFIX}forward_passes_total`,
      help: 'Forward passes (llama.cpp micro-batches) those decode calls ran.',
      registers,
      collect() {
        const total = sync().decodePassesTotal;
        this.inc(total - synced.passes);
        synced.passes = total;
      },
    });
    new Histogram({
      name: `${PREFIX}batch_sequences`,
      help: 'Sequences carried by each llama_decode call (continuous-batching occupancy).',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64],
      registers,
      collect() {
        const histogram = sync().sequencesPerDecodeHistogram;
        histogram.forEach((count, sequences) => {
          const fresh = count - (synced.decodeHistogram[sequences] ?? 0);
          for (let i = 0; i < fresh; i++) this.observe(sequences);
        });
        synced.decodeHistogram = [...histogram];
      },
    });
    const gauge = (name: string, help: string, read: () => number): void =>
      void new Gauge({
        name: `${PREFIX}${name}`,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('queue_depth', 'Requests waiting for a slot.', () => this.engine.health().queueDepth);
    gauge('active_slots', 'Slots generating right now.', () => this.engine.health().activeSlots);
    gauge('slots', 'Slots configured.', () => this.engine.info.slots);
    gauge('kv_cells_used', 'KV cache cells holding tokens.', () => this.engine.kvCache().usedCells);
    gauge('kv_cells_total', 'KV cache cells in all slots.', () => this.engine.kvCache().totalCells);
    gauge(
      'prefix_cache_hit_ratio',
      'Prompt tokens served from the prefix cache over all prompt tokens, last minute.',
      () => load.figures().prefixCacheHitRatio,
    );
    gauge('draining', '1 while the worker drains for shutdown.', () => (lifecycle.draining ? 1 : 0));
  }

  observeQueueWait(seconds: number): void {
    this.queueWait.observe(seconds);
  }

  observeTimeToFirstToken(seconds: number): void {
    this.ttft.observe(seconds);
  }

  observeInterTokenGap(secondsPerToken: number, tokens: number): void {
    for (let i = 0; i < tokens; i++) this.interToken.observe(secondsPerToken);
  }

  countRequest(outcome: string): void {
    this.requests.inc({ outcome });
  }
}
