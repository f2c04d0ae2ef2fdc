// CheckOutput: one complete output (non-streamed answers, tool arguments shown to users) checked for
// PII and secret leakage, the turn's system-prompt canaries and harmful content (moderation port).
import type { safetyV1 } from '@hearth/contracts';
import { validateCaller } from '@hearth/grpc';

import { Inject, Injectable } from '@nestjs/common';

import { POLICY_STORE, SAFETY_LIMITS, type SafetyLimits } from '../app/safety.constants';
import { isAudited, summarizeFindings } from '../audit/audit-event.builder';
import { SafetyAuditor } from '../audit/safety-auditor';
import type { RequestContext } from '../grpc/request-context';
import { toProtoDecision, toProtoFinding, toProtoPlaceholders } from '../grpc/safety-proto.mapper';
import { requireCanaries, requireWithinLimit } from '../grpc/safety-request.validator';
import { sharedSafetyMetrics } from '../metrics/safety.metrics';
import { MODERATION_PORT, type ModerationPort } from '../moderation/moderation.port';
import { moderates, type PolicyStore } from '../policy/policy.store';
import { PlaceholderRegistry } from '../redaction/placeholder.registry';
import { SafetyEngine } from './safety.engine';

@Injectable()
export class OutputCheckService {
  constructor(
    @Inject(SafetyEngine) private readonly engine: SafetyEngine,
    @Inject(SafetyAuditor) private readonly auditor: SafetyAuditor,
    @Inject(POLICY_STORE) private readonly policies: PolicyStore,
    @Inject(SAFETY_LIMITS) private readonly limits: SafetyLimits,
    @Inject(MODERATION_PORT) private readonly moderation: ModerationPort,
  ) {}

  async check(
    request: safetyV1.CheckOutputRequest,
    context: RequestContext,
  ): Promise<safetyV1.CheckOutputResponse> {
    const caller = validateCaller(request.caller);
    requireCanaries(request.canaries);
    requireWithinLimit('the output', [request.text], this.limits.maxInputBytes);

    const policy = this.policies.forTenant(caller.tenantId);
    const registry = new PlaceholderRegistry(request.placeholders);
    const [moderation] =
      moderates(policy, 'output') && request.text.length > 0
        ? await this.moderation.moderate([request.text], {
            caller,
            requestId: request.requestId,
            stage: 'output',
          })
        : [[]];
    const result = this.engine.checkOutput(policy, request.text, request.canaries, registry, moderation);

    sharedSafetyMetrics().record('output', result.decision, result.findings);
    if (isAudited(result.decision, result.findings)) {
      this.auditor.record({
        action: 'safety.output_check',
        decision: result.decision,
        caller,
        requestId: request.requestId,
        traceId: context.traceId,
        policyVersion: result.policyVersion,
        ...summarizeFindings(result.findings),
      });
    }
    return {
      decision: toProtoDecision(result.decision),
      findings: result.findings.map((f) => toProtoFinding(f, 'output')),
      policyVersion: result.policyVersion,
      redactedText: result.redactedText ?? '',
      placeholders: toProtoPlaceholders(result.placeholders),
      refusalMessage: result.refusal ?? '',
    };
  }
}
