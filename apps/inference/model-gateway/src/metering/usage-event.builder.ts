// Owns the content of a usage event: its id, derived from the tenant and request id (UUID v5), so
// every retry of a request produces the same id and consumers drop the duplicate, and its cost in
// integer micro-units of the registry's currency, priced once (model-pricing.ts).
import { USAGE_TOPIC, type EventInputOf } from '@hearth/events';

import { v5 as uuidv5 } from 'uuid';

import { chargeFor, type Charge } from '../registry/model-pricing';
import type { RegisteredModel } from '../registry/model-registry';

/** Namespace of gateway usage event ids (a fixed random UUID; changing it would re-charge everything). */
export const USAGE_EVENT_NAMESPACE = '4b0c6a9e-5d1f-4e42-9a57-2f0d3c8e71b6';

export type UsageStatus = 'completed' | 'failed' | 'cancelled' | 'cached';

export interface UsageRecord {
  tenantId: string;
  apiKeyId: string;
  userId?: string;
  requestId: string;
  traceId?: string;
  /** Model that served (or was to serve) the request. */
  model: RegisteredModel;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  latencyMs: number;
  status: UsageStatus;
  /** Embeddings are metered apart from completions (the default). */
  operation?: 'completions' | 'embeddings';
  /** Set when the request was priced before metering (its cost already went to the caller). */
  charge?: Charge;
}

export function usageEventId(tenantId: string, requestId: string): string {
  return uuidv5(`${tenantId}/${requestId}`, USAGE_EVENT_NAMESPACE);
}

/**
 * Prices the request at `at` (the registry's period in force then) unless it was priced already
 * (the cost sent to the caller); a response replayed from the cache costs nothing: no worker spent
 * time on it.
 */
export function chargeOf(record: UsageRecord, at = new Date()): Charge {
  return record.charge ?? chargeFor(record.model.prices, record, at, record.status === 'cached');
}

export function buildUsageEvent(record: UsageRecord, at = new Date()): EventInputOf<typeof USAGE_TOPIC> {
  const charge = chargeOf(record, at);
  return {
    id: usageEventId(record.tenantId, record.requestId),
    // The instant the price was taken at: a price period starting later never applies to it.
    occurredAt: charge.pricedAt.toISOString(),
    tenantId: record.tenantId,
    traceId: record.traceId,
    type: 'llm.usage',
    version: 1,
    payload: {
      requestId: record.requestId,
      apiKeyId: record.apiKeyId,
      userId: record.userId,
      model: record.model.id,
      inputTokens: record.inputTokens,
      cachedTokens: record.cachedTokens,
      outputTokens: record.outputTokens,
      costMicros: charge.costMicros,
      currency: charge.currency,
      latencyMs: Math.max(0, Math.round(record.latencyMs)),
      operation: record.operation ?? 'completions',
      status: record.status,
      cached: record.status === 'cached',
    },
  };
}
