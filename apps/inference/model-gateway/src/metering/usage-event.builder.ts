// Owns the content of a usage event: its id, derived from the tenant and request id (UUID v5), so
// every retry of a request produces the same id and consumers drop the duplicate, and its cost from
// the registry prices in integer micro-dollars.
import { USAGE_TOPIC, type EventInputOf } from '@hearth/events';

import { v5 as uuidv5 } from 'uuid';

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
}

export function usageEventId(tenantId: string, requestId: string): string {
  return uuidv5(`${tenantId}/${requestId}`, USAGE_EVENT_NAMESPACE);
}

/**
 * Micro-dollars for the tokens at the model's prices. Responses replayed from the cache cost nothing:
 * no worker spent time on them.
 */
export function costMicros(
  model: RegisteredModel,
  inputTokens: number,
  outputTokens: number,
  status: UsageStatus,
): number {
  if (status === 'cached') return 0;
  return Math.round(
    (inputTokens * model.inputMicroUsdPerMillion + outputTokens * model.outputMicroUsdPerMillion) / 1_000_000,
  );
}

export function buildUsageEvent(
  record: UsageRecord,
  occurredAt = new Date(),
): EventInputOf<typeof USAGE_TOPIC> {
  return {
    id: usageEventId(record.tenantId, record.requestId),
    occurredAt: occurredAt.toISOString(),
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
      costMicros: costMicros(record.model, record.inputTokens, record.outputTokens, record.status),
      latencyMs: Math.max(0, Math.round(record.latencyMs)),
      status: record.status,
      cached: record.status === 'cached',
    },
  };
}
