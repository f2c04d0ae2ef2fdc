// Records every audited decision (not a plain allow) as an audit event. Recording must never fail a check: a
// problem building or queueing the event is logged (with ids only) and the check's answer stands.
import type { Logger } from '@hearth/telemetry';

import { Inject, Injectable } from '@nestjs/common';

import { SAFETY_LOGGER } from '../app/safety.constants';
import { buildSafetyAuditEvent, type SafetyAuditFacts } from './audit-event.builder';
import { AUDIT_SINK, type AuditSink } from './audit.sink';

@Injectable()
export class SafetyAuditor {
  constructor(
    @Inject(AUDIT_SINK) private readonly sink: AuditSink,
    @Inject(SAFETY_LOGGER) private readonly logger: Logger,
  ) {}

  record(facts: SafetyAuditFacts): void {
    try {
      this.sink.record(buildSafetyAuditEvent(facts));
    } catch (error) {
      this.logger.error(
        { err: error, requestId: facts.requestId, tenantId: facts.caller.tenantId, decision: facts.decision },
        'could not record a safety audit event',
      );
    }
  }
}
