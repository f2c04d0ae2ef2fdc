// Owns the mapping of a validated event onto its ledger row. The row id is the event id, so the row
// itself says which event it came from and a second insert of the same event conflicts on the key.
// Cost is not computed here: the gateway prices each request once, at metering time, in integer
// micro-units (costMicros, in `currency`), and the ledger stores that figure next to the token counts.
import type { Prisma } from '@hearth/db';
import type { AuditEvent, UsageEvent } from '@hearth/events';

export function toUsageRow(event: UsageEvent): Prisma.UsageEventCreateManyInput {
  const { payload } = event;
  return {
    id: event.id,
    requestId: payload.requestId,
    tenantId: event.tenantId,
    apiKeyId: payload.apiKeyId,
    userId: payload.userId ?? null,
    model: payload.model,
    inputTokens: payload.inputTokens,
    cachedTokens: payload.cachedTokens,
    outputTokens: payload.outputTokens,
    costMicros: BigInt(payload.costMicros),
    currency: payload.currency ?? 'USD',
    operation: payload.operation ?? 'completions',
    latencyMs: payload.latencyMs,
    traceId: event.traceId ?? null,
    cached: payload.cached,
    status: payload.status,
    occurredAt: new Date(event.occurredAt),
  };
}

/** Audit metadata may name the request it belongs to; that id gets its own column. */
const REQUEST_ID_KEYS = ['requestId', 'request_id'] as const;

export function toAuditRow(event: AuditEvent): Prisma.AuditLogCreateManyInput {
  const { payload } = event;
  const requestId = REQUEST_ID_KEYS.map((key) => payload.metadata[key]).find(
    (value): value is string => typeof value === 'string' && value.length > 0,
  );
  return {
    id: event.id,
    eventId: event.id,
    tenantId: event.tenantId,
    actor: `${payload.actor.type}:${payload.actor.id}`,
    action: payload.action,
    decision: payload.decision ?? null,
    ruleIds: payload.ruleIds,
    traceId: event.traceId ?? null,
    requestId: requestId ?? null,
    resourceType: payload.resource.type,
    resourceId: payload.resource.id,
    metadata: payload.metadata,
    occurredAt: new Date(event.occurredAt),
  };
}
