// Owns continuous batching: one llama.cpp context with N sequences (slots). A request takes a slot
// as soon as one is free (reusing the longest cached prefix) and gives it back the step it finishes.
// Each step issues, synchronously, every active slot's work — the next prompt chunk (chunked
// prefill, so a long prompt does not stall the other streams) or the next token — and awaits them
// together, so node-llama-cpp dispatches them as ONE llama_decode batch. Independent per-sequence
// generator loops do not batch: sampling resolves at different times and each sequence's next
// decode is dispatched alone (measured: 126 of 127 decodes held one sequence). Low-priority work
// sits out the steps in which an interactive prompt is prefilled (step-participants.ts). Requests that
// arrive together at an idle engine start together.
import { context, type Context } from '@opentelemetry/api';

import type { CallArgumentGrammars } from '../decode/call-arguments.guide';
import { DeadlineExceededError, EngineClosedError, QueueFullError } from '../engine.errors';
import { EngineLogger } from '../engine.logger';
import { GenerationStream } from '../generation.stream';
import { FinishReason, HeldPrefix, RequestPriority } from '../generation.types';
import type {
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  NodeLlamaCpp,
  Token,
} from '../model/node-llama-cpp.module';
import { ResolvedSampling } from '../request/sampling-params.validator';
import { AdmissionQueue, QueueEntry } from './admission-queue';
import { EngineMetrics } from './engine.metrics';
import { forwardPasses } from './forward-passes';
import { choosePrefixSlot } from './prefix-slot.selector';
import type { SpeculativeDraftingOptions } from './prompt-lookup.drafting';
import { slotOfBatchOrder, slotOrderedBatch } from './slot-ordered-batch';
import { SlotRun } from './slot-run';
import { stepParticipants } from './step-participants';

/** A request after validation, templating and tokenization: everything the step loop needs. */
export interface PreparedJob {
  readonly requestId: string;
  readonly priority: RequestPriority;
  readonly salt: string | undefined;
  readonly heldPrefix: HeldPrefix | undefined;
  readonly deadlineAt: number | undefined;
  readonly promptTokens: readonly Token[];
  readonly stopStrings: readonly string[];
  readonly stopTokens: ReadonlySet<Token>;
  readonly sampling: ResolvedSampling;
  /** Already clamped to what the slot's context can hold. */
  readonly maxTokens: number;
  readonly grammar: LlamaGrammar | undefined;
  /** tool_choice auto: the grammars that constrain the arguments of calls written in text. */
  readonly callArguments?: CallArgumentGrammars;
  readonly stream: GenerationStream;
}

export interface BatchSchedulerOptions {
  readonly slots: number;
  /** Tokens each slot can hold (prompt + completion). */
  readonly contextSize: number;
  /** Tokens per llama_decode call. */
  readonly batchSize: number;
  readonly threads: number;
  readonly queueMax: number;
  /** Prompt tokens evaluated per step while other slots are decoding. */
  readonly prefillChunkTokens: number;
  /**
   * Keep the full KV cache on sliding-window models (Gemma 3): costs memory, but without it a
   * prefix longer than the window cannot be reused.
   */
  readonly swaFullCache: boolean;
  /** Speculative decoding: each slot drafts from its request's prompt, or not at all. */
  readonly drafting: SpeculativeDraftingOptions;
}

export interface ScheduledJob extends QueueEntry {
  readonly prepared: PreparedJob;
  /** The submitter's trace context: the loop logs the job's lines in it (trace and span ids). */
  readonly traceContext: Context;
  phase: 'queued' | 'running' | 'done';
  deadlineTimer?: NodeJS.Timeout;
  /** Removes the abort listener once the job is done (signals can outlive requests). */
  detach?: () => void;
}

interface Slot {
  readonly index: number;
  readonly sequence: LlamaContextSequence;
  /** Salt of the request that filled the cache; null when the cache is empty. */
  salt: string | undefined | null;
  /** The prefix of the request that filled the cache, for Stats; undefined when empty or unknown. */
  heldPrefix: HeldPrefix | undefined;
  lastUsedAt: number;
  active?: { readonly job: ScheduledJob; readonly run: SlotRun };
}

type Active = NonNullable<Slot['active']> & { readonly slot: Slot };

/** Smallest prefill chunk worth a decode call. */
const MIN_CHUNK = 16;

export class BatchScheduler {
  private readonly queue: AdmissionQueue<ScheduledJob>;
  private closing = false;
  private wakeUp: (() => void) | undefined;
  private readonly loopDone: Promise<void>;
  /** Exponentially weighted mean of admitted-to-done time, for retry hints. */
  private serviceMs = 2000;

  private constructor(
    private readonly llamaCpp: NodeLlamaCpp,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly slots: Slot[],
    private readonly options: BatchSchedulerOptions,
    readonly metrics: EngineMetrics,
    private readonly logger: EngineLogger,
  ) {
    this.queue = new AdmissionQueue<ScheduledJob>({
      capacity: options.queueMax,
      headroom: () => this.slots.length - this.activeSlots,
      estimateWaitMs: (position) => this.serviceMs * (Math.floor(position / options.slots) + 1),
    });
    this.loopDone = this.loop().catch((error: unknown) => {
      this.logger.error({ err: error }, 'batch scheduler loop crashed');
      this.failEverything(error instanceof Error ? error : new Error(String(error)));
    });
  }

  static async create(
    llamaCpp: NodeLlamaCpp,
    model: LlamaModel,
    options: BatchSchedulerOptions,
    logger: EngineLogger,
  ): Promise<BatchScheduler> {
    const metrics = new EngineMetrics();
    const context = await model.createContext({
      sequences: options.slots,
      contextSize: options.contextSize,
      batchSize: options.batchSize,
      threads: options.threads,
      swaFullCache: options.swaFullCache,
      failedCreationRemedy: false,
      batching: {
        // Every llama_decode passes through here: filled in slot order (see slotOrderedBatch), and
        // measured for batch occupancy.
        itemPrioritizationStrategy: ({ items, size }) => {
          const chosen = slotOrderedBatch(items, size);
          const shares = chosen.map((c) => ({ slot: slotOfBatchOrder(c.item), tokens: c.processAmount }));
          metrics.recordDecode({
            sequences: chosen.length,
            tokens: shares.reduce((sum, s) => sum + s.tokens, 0),
            passes: forwardPasses(shares, size),
          });
          return chosen;
        },
      },
    });
    const slots: Slot[] = Array.from({ length: options.slots }, (_, index) => ({
      index,
      sequence: context.getSequence(),
      salt: null,
      heldPrefix: undefined,
      lastUsedAt: 0,
    }));
    logger.info(
      {
        slots: options.slots,
        contextSize: context.contextSize,
        batchSize: context.batchSize,
        threads: context.idealThreads,
        swaFullCache: options.swaFullCache,
        drafting: options.drafting,
      },
      'inference context ready',
    );
    return new BatchScheduler(llamaCpp, model, context, slots, options, metrics, logger);
  }

  get queueDepth(): number {
    return this.queue.size;
  }

  get activeSlots(): number {
    return this.slots.filter((s) => s.active).length;
  }

  get slotCount(): number {
    return this.slots.length;
  }

  /** KV cells holding tokens (idle slots keep their cached prefix) out of all slots' cells. */
  kvCells(): { used: number; total: number } {
    const used = this.slots.reduce((sum, s) => sum + s.sequence.nextTokenIndex, 0);
    return { used, total: this.context.contextSize * this.slots.length };
  }

  /** What each slot holding tokens holds (busy and idle), for cache-aware routing. */
  heldPrefixes(): HeldPrefix[] {
    return this.slots.flatMap((s) =>
      s.heldPrefix && s.heldPrefix.blockCount > 0 && s.sequence.nextTokenIndex > 0 ? [s.heldPrefix] : [],
    );
  }

  /** Queues a prepared job. Throws QueueFullError, DeadlineExceededError or EngineClosedError. */
  submit(prepared: PreparedJob, signal: AbortSignal | undefined): ScheduledJob {
    if (this.closing) throw new EngineClosedError();
    const now = Date.now();
    if (prepared.deadlineAt !== undefined && prepared.deadlineAt <= now)
      throw new DeadlineExceededError('queued');
    const job: ScheduledJob = {
      prepared,
      priority: prepared.priority,
      enqueuedAt: now,
      phase: 'queued',
      traceContext: context.active(),
    };
    if (signal?.aborted) {
      this.end(job, 'cancelled');
      return job;
    }
    let shed: ScheduledJob | undefined;
    try {
      shed = this.queue.enqueue(job);
    } catch (error) {
      this.metrics.requestsRejected++;
      throw error;
    }
    if (shed !== undefined) {
      this.metrics.requestsRejected++;
      this.failQueued(shed, new QueueFullError(this.queue.size, this.queue.retryAfterMs()));
    }
    if (prepared.deadlineAt !== undefined) {
      job.deadlineTimer = setTimeout(() => {
        if (this.queue.remove(job)) this.failQueued(job, new DeadlineExceededError('queued'));
      }, prepared.deadlineAt - now);
      job.deadlineTimer.unref();
    }
    if (signal) {
      const onAbort = () => this.cancel(job);
      signal.addEventListener('abort', onAbort, { once: true });
      job.detach = () => signal.removeEventListener('abort', onAbort);
    }
    this.wake();
    return job;
  }

  /** A queued job ends now; a running one ends (and frees its slot) at the next step boundary. */
  cancel(job: ScheduledJob): void {
    if (job.phase === 'queued') {
      if (!this.queue.remove(job)) return;
      clearTimeout(job.deadlineTimer);
      this.end(job, 'cancelled');
    } else if (job.phase === 'running') {
      const slot = this.slots.find((s) => s.active?.job === job);
      if (slot?.active) slot.active.run.cancelRequested = true;
      this.wake();
    }
  }

  async close(): Promise<void> {
    if (this.closing) return this.loopDone;
    this.closing = true;
    for (const job of this.queue.drain()) this.failQueued(job, new EngineClosedError());
    for (const slot of this.slots) if (slot.active) slot.active.run.cancelRequested = true;
    this.wake();
    await this.loopDone;
    await this.context.dispose();
  }

  // ---- the step loop ---------------------------------------------------------------------------

  private async loop(): Promise<void> {
    for (;;) {
      await this.admit();
      for (const active of this.actives()) {
        const reason = this.interruption(active.run);
        if (reason) await this.finish(active, reason);
      }
      const actives = this.actives();
      if (actives.length > 0) {
        await this.step(actives);
        continue;
      }
      if (this.closing) return;
      if (this.queue.size === 0) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        // Woken from idle by one request: the others that arrived with it (read in the same I/O
        // phase, each prepared by its own callback) are queued before the next turn of the event
        // loop, so they share the first step instead of waiting for a step of one.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  private actives(): Active[] {
    return this.slots.flatMap((slot) => (slot.active ? [{ ...slot.active, slot }] : []));
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  private async step(running: Active[]): Promise<void> {
    const actives = stepParticipants(
      running.map((a) => ({ active: a, priority: a.job.priority, decoding: a.run.decoding })),
    ).map((p) => p.active);
    const decoding = actives.filter((a) => a.run.decoding).length;
    const prefilling = actives.length - decoding;
    // Nobody is waiting on a token: the whole batch goes to prompts. Otherwise prompts get a bounded
    // share, so running streams keep their inter-token latency while a long prompt is prefilled; so
    // does background work alone, so a request arriving meanwhile waits one short step, not a long one.
    const background = actives.every((a) => a.job.priority === 'low');
    const budget = decoding === 0 && !background ? this.options.batchSize : this.options.prefillChunkTokens;
    const chunk = prefilling === 0 ? 0 : Math.max(MIN_CHUNK, Math.floor(budget / prefilling));

    // All work is issued before anything is awaited: that is what puts it in one llama_decode.
    const work = actives.map((a) => a.run.advance(chunk));
    const outcomes = await Promise.allSettled(work);
    this.metrics.recordStep(actives.length);

    for (let i = 0; i < actives.length; i++) {
      const active = actives[i];
      const outcome = outcomes[i];
      if (outcome.status === 'rejected') {
        await this.crash(active, outcome.reason);
      } else if (outcome.value.kind === 'ended') {
        await this.finish(active, 'stop');
      } else if (outcome.value.kind === 'tokens') {
        // Several tokens when a draft was verified: each is its own delta, and the first that
        // finishes the request (stop, max_tokens) drops the rest.
        for (const token of outcome.value.tokens) {
          const generatedBefore = active.run.generated.length;
          const verdict = active.run.accept(token);
          this.metrics.completionTokens += active.run.generated.length - generatedBefore;
          this.emit(active, verdict.emit);
          if (verdict.finish) {
            await this.finish(active, verdict.finish, verdict.stopSequenceHit);
            break;
          }
        }
      }
    }
  }

  private emit({ job, run }: Active, text: string): void {
    if (text.length === 0) return;
    const tokenIds = run.generated.slice(run.tokensReported);
    run.tokensReported = run.generated.length;
    job.prepared.stream.push({ type: 'delta', text, completionTokens: run.generated.length, tokenIds });
  }

  private interruption(run: SlotRun): FinishReason | undefined {
    if (run.cancelRequested) return 'cancelled';
    const deadline = run.job.deadlineAt;
    if (deadline !== undefined && Date.now() >= deadline) return 'deadline';
    return undefined;
  }

  // ---- admission -------------------------------------------------------------------------------

  private async admit(): Promise<void> {
    for (;;) {
      if (this.closing) return;
      const free = this.slots.filter((s) => !s.active);
      const job = free.length > 0 ? this.queue.shift() : undefined;
      if (job === undefined) return;
      clearTimeout(job.deadlineTimer);
      const prepared = job.prepared;
      if (prepared.deadlineAt !== undefined && Date.now() >= prepared.deadlineAt) {
        this.failQueued(job, new DeadlineExceededError('queued'));
        continue;
      }
      const prompt = prepared.promptTokens;
      const candidates = free.map((s) => ({
        index: s.index,
        cachedTokens: s.sequence.contextTokens,
        salt: s.salt,
        lastUsedAt: s.lastUsedAt,
      }));
      const running = new Set(this.slots.filter((s) => s.active).map((s) => s.index));
      const choice = choosePrefixSlot(candidates, prompt, prepared.salt, running)!;
      const slot = this.slots[choice.index];
      try {
        // Keep the shared prefix (nothing across salts), but at least the last prompt token is
        // evaluated again: its logits are what the first completion token is sampled from.
        const keep = Math.min(choice.sharedPrefix, prompt.length - 1);
        await slot.sequence.adaptStateToTokens(prompt.slice(0, keep), false);
      } catch (error) {
        context.with(job.traceContext, () =>
          this.logger.warn(
            { requestId: prepared.requestId, slot: slot.index, err: error },
            'could not reuse the slot cache; clearing it',
          ),
        );
        await slot.sequence.clearHistory();
      }
      // What survived the erase (a sliding-window cache may not keep everything it shared).
      const cached = slot.sequence.nextTokenIndex;
      const run = new SlotRun(
        prepared,
        slot.sequence,
        slot.index,
        cached,
        this.model,
        this.llamaCpp,
        this.options.drafting,
      );
      slot.active = { job, run };
      slot.salt = prepared.salt;
      slot.heldPrefix = prepared.heldPrefix;
      job.phase = 'running';
      this.metrics.requestsStarted++;
      this.metrics.promptTokens += prompt.length;
      this.metrics.cachedPromptTokens += cached;
      prepared.stream.push({
        type: 'started',
        slot: slot.index,
        promptTokens: prompt.length,
        cachedPromptTokens: cached,
        queuedMs: run.admittedAt - job.enqueuedAt,
      });
      context.with(job.traceContext, () =>
        this.logger.debug(
          {
            requestId: prepared.requestId,
            slot: slot.index,
            promptTokens: prompt.length,
            cachedPromptTokens: cached,
          },
          'request admitted',
        ),
      );
    }
  }

  // ---- endings ---------------------------------------------------------------------------------

  private async finish(active: Active, reason: FinishReason, stopSequenceHit = false): Promise<void> {
    // Text held back (a split character, a possible stop prefix) is released, unless a stop
    // sequence ended the request: then what followed it is dropped.
    if (!stopSequenceHit) this.emit(active, active.run.flushTail());
    await this.release(active);
    this.end(active.job, reason, active.run);
  }

  /** A llama.cpp failure for one slot: that request fails, the slot's cache is dropped, others go on. */
  private async crash(active: Active, reason: unknown): Promise<void> {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    context.with(active.job.traceContext, () =>
      this.logger.error(
        { requestId: active.job.prepared.requestId, slot: active.slot.index, err: error },
        'generation failed',
      ),
    );
    await this.release(active);
    active.slot.salt = null;
    active.slot.heldPrefix = undefined;
    await active.slot.sequence.clearHistory().catch(() => undefined);
    active.job.phase = 'done';
    active.job.detach?.();
    this.metrics.recordFinish('error');
    active.job.prepared.stream.fail(error);
  }

  private async release({ slot, run }: Active): Promise<void> {
    slot.active = undefined;
    slot.lastUsedAt = Date.now();
    await run.close();
    this.metrics.recordDrafts(run.drafts);
    this.serviceMs = 0.8 * this.serviceMs + 0.2 * (Date.now() - run.admittedAt);
  }

  private end(job: ScheduledJob, reason: FinishReason, run?: SlotRun): void {
    job.phase = 'done';
    job.detach?.();
    const now = Date.now();
    const prepared = job.prepared;
    this.metrics.recordFinish(reason);
    prepared.stream.push({
      type: 'done',
      finishReason: reason,
      seed: prepared.sampling.seed,
      usage: {
        promptTokens: prepared.promptTokens.length,
        cachedPromptTokens: run?.cachedPromptTokens ?? 0,
        completionTokens: run?.generated.length ?? 0,
      },
      timings: {
        queuedMs: (run?.admittedAt ?? now) - job.enqueuedAt,
        timeToFirstTokenMs: run?.firstTokenAt === undefined ? undefined : run.firstTokenAt - run.admittedAt,
        totalMs: now - job.enqueuedAt,
      },
    });
  }

  private failQueued(job: ScheduledJob, error: Error): void {
    clearTimeout(job.deadlineTimer);
    job.phase = 'done';
    job.detach?.();
    this.metrics.recordFinish(error.name);
    job.prepared.stream.fail(error);
  }

  private failEverything(error: Error): void {
    for (const job of this.queue.drain()) this.failQueued(job, error);
    for (const slot of this.slots) {
      if (!slot.active) continue;
      slot.active.job.phase = 'done';
      slot.active.job.prepared.stream.fail(error);
      slot.active = undefined;
    }
  }
}
