// Owns what happens after a Generate request ends, whatever its outcome: the quota reservation is
// replaced by the tokens really used, exactly one usage event is recorded (priced once, when the
// request ended), and a complete
// deterministic answer from the requested model is stored in the response cache. All of it runs in
// the background: the caller's stream has already ended.
import { commonV1, type gatewayV1 } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import type { BudgetGuardService, BudgetReservation } from '../budget/budget-guard.service';
import type { CachedResponse, ResponseCacheService } from '../cache/response-cache.service';
import type { UsageRecord, UsageStatus } from '../metering/usage-event.builder';
import type { UsageMeterService } from '../metering/usage-meter.service';
import type { GatewayMetrics } from '../metrics/gateway.metrics';
import type { QuotaReservation, TokenQuotaService } from '../quota/token-quota.service';
import { chargeFor, maxCostMicros, type Charge, type PricedTokens } from '../registry/model-pricing';
import type { RegisteredModel } from '../registry/model-registry';
import type { NormalizedGeneration } from './generation-request.normalizer';
import type { AttemptResult } from './worker-stream.attempt';

/** How a request that was admitted ended. */
export interface Outcome {
  status: Exclude<UsageStatus, 'cached'>;
  /** The model that served it (or, if none did, the one requested). */
  model: RegisteredModel;
  result?: AttemptResult;
  fallback: boolean;
  outputValid?: boolean;
  /** The price taken when the request ended (the cost its last message told the caller). */
  charge?: Charge;
}

export interface SettlementDeps {
  quota: TokenQuotaService;
  budgets: BudgetGuardService;
  cache: ResponseCacheService;
  meter: UsageMeterService;
  metrics: GatewayMetrics;
  logger: Logger;
}

export type MeteredUsage = Pick<
  UsageRecord,
  'model' | 'inputTokens' | 'cachedTokens' | 'outputTokens' | 'status' | 'charge'
>;

/**
 * The tokens a request is billed for. A stream cut before the worker's last message is billed for
 * its prompt as the first message reported it, and for the output that reached the caller.
 */
export function meteredTokens(result: AttemptResult | undefined): PricedTokens {
  const usage = result?.usage;
  const prompt = usage ?? result?.promptUsage;
  return {
    inputTokens: prompt?.promptTokens ?? 0,
    cachedTokens: prompt?.cachedPromptTokens ?? 0,
    outputTokens: usage?.completionTokens ?? result?.outputTokens ?? 0,
  };
}

/** Prices the request now and writes the cost into the usage its last message carries. */
export function priceOutcome(
  model: RegisteredModel,
  result: AttemptResult | undefined,
  message: gatewayV1.GenerateResponse | undefined,
): { charge: Charge; message: gatewayV1.GenerateResponse | undefined } {
  const charge = chargeFor(model.prices, meteredTokens(result), new Date());
  if (!message?.usage) return { charge, message };
  return {
    charge,
    message: {
      ...message,
      usage: { ...message.usage, costMicros: charge.costMicros, currency: charge.currency },
    },
  };
}

// Only answers that ended on their own are worth replaying.
const COMPLETE_REASONS = new Set([
  commonV1.FinishReason.FINISH_REASON_STOP,
  commonV1.FinishReason.FINISH_REASON_LENGTH,
  commonV1.FinishReason.FINISH_REASON_TOOL_CALLS,
]);

/** What a request holds while it runs: tokens of the quota, the maximum cost on its budgets. */
export interface Reservations {
  quota: QuotaReservation;
  budget: BudgetReservation;
}

/**
 * The most the request can cost: its prompt bound and max tokens at the dearest price of the models
 * that may serve it (a fallback can be dearer than the model asked for).
 */
export function maxCostOf(generation: NormalizedGeneration, at = new Date()): number {
  return Math.max(
    ...generation.candidates.map((model) =>
      maxCostMicros(model.prices, generation.promptTokenBound, generation.maxTokens, at),
    ),
  );
}

/** A request refused after its quota reservation gives all of it back. */
export function settleQuotaUnused(
  deps: Pick<SettlementDeps, 'quota' | 'logger'>,
  quota: QuotaReservation,
): void {
  deps.quota
    .settle(quota, 0)
    .catch((error: unknown) =>
      deps.logger.error({ err: error }, 'quota release failed; the reservation stands'),
    );
}

/** A request refused or answered from the cache after its budget holds were taken releases them. */
export function releaseBudgetUnused(
  deps: Pick<SettlementDeps, 'budgets' | 'logger'>,
  budget: BudgetReservation,
): void {
  deps.budgets
    .release(budget)
    .catch((error: unknown) =>
      deps.logger.error({ err: error }, 'budget hold release failed; the hold expires on its own'),
    );
}

export function settleGeneration(
  deps: SettlementDeps,
  generation: NormalizedGeneration,
  reservations: Reservations,
  outcome: Outcome,
  cacheKey: string | undefined,
  traceId: string | undefined,
): void {
  const usage = outcome.result?.usage;
  const tokens = meteredTokens(outcome.result);
  const { inputTokens, outputTokens } = tokens;
  const charge = outcome.charge ?? chargeFor(outcome.model.prices, tokens, new Date());
  deps.budgets
    .settle(reservations.budget, charge.costMicros, charge.pricedAt)
    .catch((error: unknown) =>
      deps.logger.error(
        { err: error, requestId: generation.requestId, costMicros: charge.costMicros },
        'budget settlement failed; the hold expires and the reconciliation restores the spend',
      ),
    );
  deps.quota
    .settle(reservations.quota, inputTokens + outputTokens)
    .catch((error: unknown) =>
      deps.logger.error(
        { err: error, requestId: generation.requestId },
        'quota settlement failed; the reservation stands',
      ),
    );
  deps.metrics.requests.inc({ model: outcome.model.id, outcome: outcome.status });
  meterGeneration(deps, generation, traceId, {
    model: outcome.model,
    ...tokens,
    status: outcome.status,
    charge,
  });

  const result = outcome.result;
  if (
    cacheKey &&
    result &&
    usage &&
    outcome.status === 'completed' &&
    !outcome.fallback &&
    COMPLETE_REASONS.has(result.finishReason) &&
    outcome.outputValid !== false
  ) {
    const entry: CachedResponse = {
      modelId: outcome.model.id,
      modelSha256: outcome.model.sha256,
      chunks: result.chunks,
      finishReason: result.finishReason,
      usage,
      outputValid: outcome.outputValid,
    };
    deps.cache
      .put(cacheKey, entry)
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'response cache store failed'));
  }
}

export function meterGeneration(
  deps: Pick<SettlementDeps, 'meter'>,
  generation: NormalizedGeneration,
  traceId: string | undefined,
  usage: MeteredUsage,
): void {
  void deps.meter.record({
    ...usage,
    tenantId: generation.caller.tenantId,
    apiKeyId: generation.caller.apiKeyId,
    userId: generation.caller.userId,
    requestId: generation.requestId,
    traceId,
    latencyMs: Date.now() - generation.receivedAt,
  });
}
