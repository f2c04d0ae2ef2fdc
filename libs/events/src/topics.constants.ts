// Owns the names of our Kafka topics and headers. Topics are versioned: a breaking schema change
// is a new topic (`…v2`), never an edit of a published one.
import { defineTopic } from './event-topic.model';
import { auditEventSchema, usageEventSchema } from './event.schemas';

export const USAGE_TOPIC = defineTopic('llm.usage.v1', usageEventSchema);
export const AUDIT_TOPIC = defineTopic('llm.audit.v1', auditEventSchema);

export const EVENT_HEADERS = {
  id: 'event-id',
  type: 'event-type',
  version: 'event-version',
  contentType: 'content-type',
} as const;

/** Headers a dead-lettered message gains, next to the ones it arrived with. */
export const DEAD_LETTER_HEADERS = {
  error: 'dlq-error',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  consumerGroup: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
} as const;
