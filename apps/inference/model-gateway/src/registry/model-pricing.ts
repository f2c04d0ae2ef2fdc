// Owns money: a model's price periods as integer micro-units per million tokens, the period in force
// at an instant, and the cost of a request's tokens under it. Cost is computed with BigInt and rounded
// half up to a whole micro-unit once, at metering time; sums of those integers never drift. A price
// change is a new period from a later instant, so a request is never repriced retroactively.
import type { ModelDefinition } from './model-registry.schema';

export interface PricePeriod {
  /** Epoch milliseconds from which the period applies (until the next period's). */
  readonly effectiveFrom: number;
  /** ISO 4217 code. */
  readonly currency: string;
  /** Millionths of the currency unit per million tokens. */
  readonly inputMicrosPerMillion: bigint;
  readonly cachedInputMicrosPerMillion: bigint;
  readonly outputMicrosPerMillion: bigint;
}

export interface PricedTokens {
  /** Prompt tokens, cached ones included. */
  inputTokens: number;
  /** The prompt tokens served from the prefix cache (a subset of inputTokens). */
  cachedTokens: number;
  outputTokens: number;
}

export interface Charge {
  /** Millionths of the currency unit, rounded half up. */
  costMicros: number;
  currency: string;
  /** The instant the price was taken at: the usage event's occurredAt. */
  pricedAt: Date;
}

const MILLION = 1_000_000n;

/** A money amount with at most six decimals as integer micro-units. */
export function toMicros(amount: number): bigint {
  return BigInt(Math.round(amount * 1_000_000));
}

export function toPricePeriods(model: Pick<ModelDefinition, 'price' | 'prices'>): PricePeriod[] {
  if (model.prices)
    return model.prices.map((period) => ({
      effectiveFrom: Date.parse(period.effectiveFrom),
      currency: period.currency,
      inputMicrosPerMillion: toMicros(period.inputPerMillionTokens),
      cachedInputMicrosPerMillion: toMicros(
        period.cachedInputPerMillionTokens ?? period.inputPerMillionTokens,
      ),
      outputMicrosPerMillion: toMicros(period.outputPerMillionTokens),
    }));
  const price = model.price ?? { inputUsdPerMillionTokens: 0, outputUsdPerMillionTokens: 0 };
  return [
    {
      effectiveFrom: 0,
      currency: 'USD',
      inputMicrosPerMillion: toMicros(price.inputUsdPerMillionTokens),
      cachedInputMicrosPerMillion: toMicros(
        price.cachedInputUsdPerMillionTokens ?? price.inputUsdPerMillionTokens,
      ),
      outputMicrosPerMillion: toMicros(price.outputUsdPerMillionTokens),
    },
  ];
}

/**
 * The period in force at `at`; before a model's first period nothing is charged (a zero price in
 * that period's currency).
 */
export function priceAt(prices: readonly PricePeriod[], at: Date): PricePeriod {
  const time = at.getTime();
  let current: PricePeriod | undefined;
  for (const period of prices) {
    if (period.effectiveFrom > time) break;
    current = period;
  }
  return (
    current ?? {
      effectiveFrom: time,
      currency: prices[0]?.currency ?? 'USD',
      inputMicrosPerMillion: 0n,
      cachedInputMicrosPerMillion: 0n,
      outputMicrosPerMillion: 0n,
    }
  );
}

/** Cost of the tokens under `period`, in micro-units, rounded half up once. */
export function costOf(period: PricePeriod, tokens: PricedTokens): bigint {
  const cached = BigInt(Math.min(tokens.cachedTokens, tokens.inputTokens));
  const uncached = BigInt(tokens.inputTokens) - cached;
  const scaled =
    uncached * period.inputMicrosPerMillion +
    cached * period.cachedInputMicrosPerMillion +
    BigInt(tokens.outputTokens) * period.outputMicrosPerMillion;
  return (scaled + MILLION / 2n) / MILLION;
}

/** Prices tokens at the instant `at`; `free` (a replay from the response cache) costs nothing. */
export function chargeFor(
  prices: readonly PricePeriod[],
  tokens: PricedTokens,
  at: Date,
  free = false,
): Charge {
  const period = priceAt(prices, at);
  const cost = free ? 0n : costOf(period, tokens);
  if (cost > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`cost ${cost} exceeds 2^53 micro-units`);
  return { costMicros: Number(cost), currency: period.currency, pricedAt: at };
}

/** The most a request can cost under the price in force now: its prompt bound and max tokens. */
export function maxCostMicros(
  prices: readonly PricePeriod[],
  promptTokens: number,
  maxOutputTokens: number,
  at: Date,
): number {
  return chargeFor(prices, { inputTokens: promptTokens, cachedTokens: 0, outputTokens: maxOutputTokens }, at)
    .costMicros;
}
