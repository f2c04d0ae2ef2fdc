// Owns the error a check gets when its audit event cannot be accepted: the sink's in-memory backlog
// is full because neither Kafka nor the Redis spool is taking events. The decision is refused as
// UNAVAILABLE with a retry hint rather than made without its audit record.
import { GrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';

export class AuditBacklogFullError extends GrpcError {
  override readonly name = 'AuditBacklogFullError';

  constructor(maxQueued: number, retryAfterMs: number) {
    super(
      status.UNAVAILABLE,
      'AUDIT_BACKLOG_FULL',
      `Safety decisions cannot be audited right now (${maxQueued} audit events wait for Kafka and the spool); retry later`,
      { metadata: { maxQueued: String(maxQueued) }, retryAfterMs },
    );
  }
}
