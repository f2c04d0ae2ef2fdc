// Where safety decisions go for audit. Checks hand a record over and carry on: recording never waits
// for Kafka (the spooled sink publishes in the background), but a sink that cannot accept an event
// says so by throwing instead of dropping it.
import type { AuditEventInput } from '@hearth/events';

export const AUDIT_SINK = Symbol('AUDIT_SINK');

export interface AuditSink {
  /** Queues one validated audit event for publishing; throws when it cannot be accepted. */
  record(event: AuditEventInput): void;
}
