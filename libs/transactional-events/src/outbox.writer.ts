// Owns the write side of the transactional outbox: an event is validated and stored in
// OutboxEvent through the caller's transaction, so it commits (or rolls back) together with the
// change it describes, and survives a Kafka outage. The relay publishes it later.
import type { Prisma } from '@hearth/db';
import {
  parseEvent,
  toRecord,
  withActiveTraceId,
  type EventInputOf,
  type EventOf,
  type EventTopic,
} from '@hearth/events';

let lastCreatedAt = 0;

/**
 * created_at orders the relay's scan. A database default would give every row of one transaction
 * the same (transaction-start) timestamp and leave their order to the uuid; a strictly increasing
 * per-process millisecond clock keeps events in the order they were enqueued.
 */
function nextCreatedAt(): Date {
  lastCreatedAt = Math.max(Date.now(), lastCreatedAt + 1);
  return new Date(lastCreatedAt);
}

/**
 * Stores `event` for `topic` in the outbox inside `tx`. The outbox row id is the event id, so the
 * same event cannot be enqueued twice. Throws an EventValidationError for a malformed event.
 */
export async function enqueue<T extends EventTopic>(
  tx: Prisma.TransactionClient,
  topic: T,
  event: EventInputOf<T>,
): Promise<EventOf<T>> {
  const parsed = parseEvent(topic, withActiveTraceId(event));
  // Headers are built now, so the stored trace context is the one of the request that made the change.
  const record = toRecord(topic.name, parsed);
  await tx.outboxEvent.create({
    data: {
      id: parsed.id,
      topic: topic.name,
      key: parsed.tenantId,
      payload: parsed as unknown as Prisma.InputJsonObject,
      headers: record.headers as Prisma.InputJsonObject,
      createdAt: nextCreatedAt(),
    },
  });
  return parsed;
}
