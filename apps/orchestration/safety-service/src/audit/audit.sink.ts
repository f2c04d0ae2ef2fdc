// Where safety decisions go for audit. Checks hand a record over and carry on: recording never
// blocks or fails a check (the Kafka sink publishes in the background).
import type { AuditEventInput } from '@hearth/events';

export const AUDIT_SINK = Symbol('AUDIT_SINK');

export interface AuditSink {
  /** Queues one validated audit event for publishing. */
  record(event: AuditEventInput): void;
}
