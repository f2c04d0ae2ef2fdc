// Owns the life of one Generate request: validate and resolve, look up the response cache while
// reserving quota and the budgets' maximum cost (replaying a cached answer), then try workers (another
// worker of the same model, then down the fallback chain) until one produces output, all before the
// request's deadline. Once output has reached the caller nothing is retried: a later failure ends the
// stream with an error finish marked partial. Every admitted request settles its quota and is metered
// exactly once, whatever its outcome.
import {
  commonV1,
  gatewayV1,
  inferenceV1,
  prefixFingerprint,
  type PrefixFingerprint,
} from '@hearth/contracts';
import { cancelled, deadlineExceeded, GrpcError, resourceExhausted, unavailable } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel';
import type { Subscriber } from 'rxjs';

import type { BudgetGuardService } from '../budget/budget-guard.service';
import {
  replayMessages,
  type CachedResponse,
  type ResponseCacheService,
} from '../cache/response-cache.service';
import type { StructuredOutputGuard } from '../guard/structured-output.guard';
import type { UsageMeterService } from '../metering/usage-meter.service';
import type { GatewayMetrics } from '../metrics/gateway.metrics';
import type { TokenQuotaService } from '../quota/token-quota.service';
import { chargeFor } from '../registry/model-pricing';
import type { RegisteredModel } from '../registry/model-registry';
import type { ModelRegistryService } from '../registry/model-registry.service';
import { isRetryableBeforeFirstToken, WorkerCallError } from '../workers/worker-failure.classifier';
import type { WorkerPoolService } from '../workers/worker-pool.service';
import type { WorkerHandle } from '../workers/worker.handle';
import {
  normalizeGeneration,
  toWorkerRequest,
  type NormalizedGeneration,
} from './generation-request.normalizer';
import {
  maxCostOf,
  meterGeneration,
  priceOutcome,
  releaseBudgetUnused,
  settleGeneration,
  settleQuotaUnused,
  type Outcome,
  type Reservations,
} from './generation.settlement';
import { AttemptFailure, WorkerStreamAttempt, type AttemptResult } from './worker-stream.attempt';

export interface GenerationDeps {
  registry: ModelRegistryService;
  pools: WorkerPoolService;
  quota: TokenQuotaService;
  budgets: BudgetGuardService;
  cache: ResponseCacheService;
  meter: UsageMeterService;
  guard: StructuredOutputGuard;
  metrics: GatewayMetrics;
  logger: Logger;
  maxDurationMs: number;
}

/** One candidate model's worker request, built once for every attempt on that model. */
interface ModelRequest {
  generation: NormalizedGeneration;
  model: RegisteredModel;
  request: inferenceV1.GenerateRequest;
  fingerprint: PrefixFingerprint | undefined;
}

export class GenerationRun {
  private cancelled = false;
  private attempt?: WorkerStreamAttempt;

  constructor(
    private readonly deps: GenerationDeps,
    private readonly request: gatewayV1.GenerateRequest,
    private readonly out: Subscriber<gatewayV1.GenerateResponse>,
    private readonly callDeadline: number | undefined,
    private readonly traceId: string | undefined,
  ) {}

  /** The caller went away: stop the worker at once; what was used is still metered. */
  cancel(): void {
    this.cancelled = true;
    this.attempt?.cancel();
  }

  async execute(): Promise<void> {
    // Metric label: the resolved model only, never the caller's string (unbounded cardinality).
    let modelLabel = 'unresolved';
    try {
      const generation = normalizeGeneration(this.request, {
        registry: this.deps.registry.current(),
        guard: this.deps.guard,
        callDeadline: this.callDeadline,
        maxDurationMs: this.deps.maxDurationMs,
      });
      modelLabel = generation.model.id;
      const cacheKey = this.deps.cache.keyFor(generation);
      const admission = await this.admit(generation, cacheKey);
      if (!admission) return;
      await this.serve(generation, admission, cacheKey);
    } catch (error) {
      this.deps.metrics.requests.inc({ model: modelLabel, outcome: 'rejected' });
      this.out.error(error);
    }
  }

  /**
   * The cache lookup and both reservations, sent together: Redis gets them in one write (the client
   * pipelines commands of the same tick) and the request waits one round trip, not three. A cached
   * answer is replayed and the reservations given back; a refusal by one gives back the other (a
   * budget hold released is no settlement: the request id can still be served later). When both
   * refuse, the quota's refusal is the one the caller gets, as when they ran one after the other.
   * Each refusal is counted in its rejections metric, even when the cache answers the request.
   * Returns undefined when the request was answered from the cache.
   */
  private async admit(
    generation: NormalizedGeneration,
    cacheKey: string | undefined,
  ): Promise<Reservations | undefined> {
    const registry = this.deps.registry.current();
    const [entry, quota, budget] = await Promise.allSettled([
      cacheKey ? this.cachedEntry(cacheKey) : Promise.resolve(undefined),
      this.deps.quota.reserve(
        generation.caller,
        registry.limitsFor(generation.caller.tenantId, generation.caller.apiKeyId),
        generation.promptTokenBound + generation.maxTokens,
      ),
      this.deps.budgets.reserve(generation.caller, generation.requestId, maxCostOf(generation)),
    ]);
    // cachedEntry() never rejects: a cache outage is a miss.
    const cached = entry.status === 'fulfilled' ? entry.value : undefined;
    if (quota.status === 'fulfilled' && (cached || budget.status === 'rejected'))
      settleQuotaUnused(this.deps, quota.value);
    if (budget.status === 'fulfilled' && (cached || quota.status === 'rejected'))
      releaseBudgetUnused(this.deps, budget.value);
    if (cached) {
      this.replay(generation, cached);
      return undefined;
    }
    if (quota.status === 'rejected') throw quota.reason;
    if (budget.status === 'rejected') throw budget.reason;
    return { quota: quota.value, budget: budget.value };
  }

  private async serve(
    generation: NormalizedGeneration,
    reservation: Reservations,
    cacheKey: string | undefined,
  ): Promise<void> {
    let outcome: Outcome = { status: 'failed', model: generation.model, fallback: false };
    try {
      outcome = await this.route(generation, cacheKey !== undefined);
      this.out.complete();
    } catch (error) {
      if (error instanceof GrpcError && error.code === status.CANCELLED)
        outcome = { ...outcome, status: 'cancelled' };
      this.out.error(error);
    } finally {
      settleGeneration(this.deps, generation, reservation, outcome, cacheKey, this.traceId);
    }
  }

  private async route(generation: NormalizedGeneration, cacheable: boolean): Promise<Outcome> {
    const { routing } = this.deps.registry.current();
    const tried = new Set<string>();
    let lastError: WorkerCallError | undefined;
    for (const [index, model] of generation.candidates.entries()) {
      // What the worker gets, and its prefix hashed as the worker will hash it (cache-aware routing).
      const request = toWorkerRequest(generation, model);
      const fingerprint = this.deps.pools.cacheAware ? prefixFingerprint(request) : undefined;
      for (let attempt = 0; attempt < routing.maxAttemptsPerModel; attempt++) {
        if (this.cancelled) throw cancelled('cancelled by the caller');
        if (Date.now() >= generation.deadline)
          throw deadlineExceeded(`no worker answered model "${generation.model.id}" before the deadline`);
        const worker = this.deps.pools.pick(model, tried, { fingerprint, priority: request.priority });
        if (!worker) break;
        tried.add(worker.address);
        const fallback = index > 0;
        try {
          const result = await this.tryWorker(
            { generation, model, request, fingerprint },
            worker,
            fallback,
            cacheable,
          );
          this.deps.metrics.attempts.inc({ worker: worker.address, result: 'ok' });
          if (fallback) this.deps.metrics.fallbacks.inc({ requested: generation.model.id, served: model.id });
          return this.complete(generation, model, result, fallback);
        } catch (error) {
          if (!(error instanceof AttemptFailure)) throw error;
          if (error.committed) {
            this.deps.metrics.attempts.inc({ worker: worker.address, result: 'partial' });
            return this.endPartial(model, error, fallback);
          }
          if (this.cancelled) throw cancelled('cancelled by the caller');
          lastError = error.error;
          this.deps.metrics.attempts.inc({ worker: worker.address, result: 'retried' });
          this.deps.logger.warn(
            {
              requestId: generation.requestId,
              worker: worker.address,
              model: model.id,
              code: status[lastError.code],
              reason: lastError.message,
            },
            'attempt failed before the first token',
          );
          if (!isRetryableBeforeFirstToken(lastError.code)) throw lastError.passOn();
        }
      }
    }
    throw this.exhausted(generation, lastError);
  }

  private async tryWorker(
    { generation, model, request, fingerprint }: ModelRequest,
    worker: WorkerHandle,
    fallback: boolean,
    cacheable: boolean,
  ): Promise<AttemptResult> {
    const attempt = new WorkerStreamAttempt({
      model,
      worker,
      request,
      fallback,
      deadline: generation.deadline,
      firstTokenTimeoutMs: this.deps.registry.current().routing.firstTokenTimeoutMs,
      gatewayMs: Date.now() - generation.receivedAt,
      collectChunks: cacheable && !fallback,
      collectText: generation.outputCheck !== undefined,
      emit: (message) => this.out.next(message),
      onCommit: () =>
        this.deps.metrics.timeToFirstToken.observe(
          { model: model.id },
          (Date.now() - generation.receivedAt) / 1000,
        ),
    });
    this.attempt = attempt;
    const release = worker.acquire(fingerprint);
    try {
      return await worker.breaker.execute(() => attempt.run());
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        // The breaker opened between the pick and the call: nothing was sent, try elsewhere.
        const empty = { finishReason: 0, text: '', chunks: [], outputTokens: 0, workerId: '' };
        throw new AttemptFailure(
          new WorkerCallError(status.UNAVAILABLE, `worker ${worker.address} is ejected`, false),
          false,
          empty,
        );
      }
      throw error;
    } finally {
      release();
      this.attempt = undefined;
    }
  }

  private complete(
    generation: NormalizedGeneration,
    model: RegisteredModel,
    result: AttemptResult,
    fallback: boolean,
  ): Outcome {
    const cancelled = result.finishReason === commonV1.FinishReason.FINISH_REASON_CANCELLED;
    let outputValid: boolean | undefined;
    if (generation.outputCheck && !cancelled)
      outputValid = this.deps.guard.record(model.id, generation.outputCheck(result.text));
    const { charge, message } = priceOutcome(model, result, result.finishMessage);
    if (message) this.out.next({ ...message, outputValid });
    return { status: cancelled ? 'cancelled' : 'completed', model, result, fallback, outputValid, charge };
  }

  private endPartial(model: RegisteredModel, failure: AttemptFailure, fallback: boolean): Outcome {
    const { error } = failure;
    const cancelled = this.cancelled || error.code === status.CANCELLED;
    const { charge, message } = priceOutcome(model, failure.partial, failure.finishMessage);
    this.out.next({
      ...(message ?? { text: '', tokenIds: [], toolCallDeltas: [], cached: false }),
      finishReason: cancelled
        ? commonV1.FinishReason.FINISH_REASON_CANCELLED
        : commonV1.FinishReason.FINISH_REASON_ERROR,
      error: {
        code: error.code,
        reason: error.code === status.DEADLINE_EXCEEDED ? 'DEADLINE_EXCEEDED' : 'WORKER_LOST',
        message:
          error.code === status.DEADLINE_EXCEEDED
            ? 'the deadline passed during generation'
            : 'the model worker failed during generation',
        partial: true,
        retryable: error.code !== status.DEADLINE_EXCEEDED,
      },
    });
    return { status: cancelled ? 'cancelled' : 'failed', model, result: failure.partial, fallback, charge };
  }

  private exhausted(generation: NormalizedGeneration, lastError: WorkerCallError | undefined): GrpcError {
    const models = generation.candidates.map((model) => model.id).join(', ');
    if (Date.now() >= generation.deadline || lastError?.code === status.DEADLINE_EXCEEDED) {
      return deadlineExceeded(`no worker of ${models} produced a first token before the deadline`);
    }
    if (lastError?.code === status.RESOURCE_EXHAUSTED) {
      return resourceExhausted(
        'CAPACITY_EXHAUSTED',
        `every worker of ${models} is at capacity`,
        {},
        { retryAfterMs: lastError.retryAfterMs ?? 1_000 },
      );
    }
    return unavailable(
      lastError
        ? `no worker of ${models} could serve the request (last error: ${status[lastError.code]})`
        : `no healthy worker serves ${models}`,
    );
  }

  private async cachedEntry(key: string): Promise<CachedResponse | undefined> {
    let entry: CachedResponse | undefined;
    try {
      entry = await this.deps.cache.get(key);
    } catch (error) {
      // A cache outage costs GPU time, not availability.
      this.deps.logger.warn({ err: error }, 'response cache lookup failed');
    }
    this.deps.metrics.cacheLookups.inc({ result: entry ? 'hit' : 'miss' });
    return entry;
  }

  private replay(generation: NormalizedGeneration, entry: CachedResponse): void {
    const tokens = {
      inputTokens: entry.usage.promptTokens,
      cachedTokens: entry.usage.promptTokens,
      outputTokens: entry.usage.completionTokens,
    };
    const charge = chargeFor(generation.model.prices, tokens, new Date(), true);
    for (const message of replayMessages(entry))
      this.out.next(
        message.usage
          ? { ...message, usage: { ...message.usage, costMicros: 0, currency: charge.currency } }
          : message,
      );
    this.out.complete();
    this.deps.metrics.requests.inc({ model: generation.model.id, outcome: 'cached' });
    meterGeneration(this.deps, generation, this.traceId, {
      model: generation.model,
      ...tokens,
      status: 'cached',
      charge,
    });
  }
}
