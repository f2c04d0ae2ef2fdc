// Records every audited decision (not a plain allow) as an audit event. A problem building the event
// (a bug, not an outage) is logged with ids only and the check's answer stands; a full audit backlog
// is not swallowed: the AuditBacklogFullError propagates, so the check answers UNAVAILABLE instead of
// making a decision that leaves no audit record.
import type { Logger } from '@hearth/telemetry';

import { Inject, Injectable } from '@nestjs/common';

import { SAFETY_LOGGER } from '../app/safety.constants';
import { AuditBacklogFullError } from './audit-backlog-full.error';
import { buildSafetyAuditEvent, type SafetyAuditFacts } from './audit-event.builder';
import { AUDIT_SINK, type AuditSink } from './audit.sink';

@Injectable()
export class SafetyAuditor {
  constructor(
    @Inject(AUDIT_SINK) private readonly sink: AuditSink,
    @Inject(SAFETY_LOGGER) private readonly logger: Logger,
  ) {}

  /** Throws AuditBacklogFullError when the event cannot be accepted; every other failure is logged. */
  record(facts: SafetyAuditFacts): void {
    try {
      this.sink.record(buildSafetyAuditEvent(facts));
    } catch (error) {
      if (error instanceof AuditBacklogFullError) throw error;
      this.logger.error(
        { err: error, requestId: facts.requestId, tenantId: facts.caller.tenantId, decision: facts.decision },
        'could not record a safety audit event',
      );
    }
  }
}
