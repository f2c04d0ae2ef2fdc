// CheckInput: validates the request, moderates the user's items through the moderation port (when
// the tenant's policy moderates anything), runs the engine under the tenant's policy, audits any
// decision that is not a plain allow and answers with the decision, findings, redacted items and
// their placeholder mapping, and a fresh canary for the turn's system prompt.
import type { safetyV1 } from '@hearth/contracts';
import { validateCaller } from '@hearth/grpc';

import { Inject, Injectable } from '@nestjs/common';

import { POLICY_STORE, SAFETY_LIMITS, type SafetyLimits } from '../app/safety.constants';
import { isAudited, summarizeFindings } from '../audit/audit-event.builder';
import { SafetyAuditor } from '../audit/safety-auditor';
import { generateCanary } from '../detectors/leak/canary.detector';
import type { RequestContext } from '../grpc/request-context';
import { toProtoDecision, toProtoFinding, toProtoPlaceholders, trustOf } from '../grpc/safety-proto.mapper';
import { requireItemIds, requireWithinLimit } from '../grpc/safety-request.validator';
import { sharedSafetyMetrics } from '../metrics/safety.metrics';
import { MODERATION_PORT, type ModerationPort } from '../moderation/moderation.port';
import { moderates, type PolicyStore } from '../policy/policy.store';
import { SafetyEngine } from './safety.engine';

@Injectable()
export class InputCheckService {
  constructor(
    @Inject(SafetyEngine) private readonly engine: SafetyEngine,
    @Inject(SafetyAuditor) private readonly auditor: SafetyAuditor,
    @Inject(POLICY_STORE) private readonly policies: PolicyStore,
    @Inject(SAFETY_LIMITS) private readonly limits: SafetyLimits,
    @Inject(MODERATION_PORT) private readonly moderation: ModerationPort,
  ) {}

  async check(
    request: safetyV1.CheckInputRequest,
    context: RequestContext,
  ): Promise<safetyV1.CheckInputResponse> {
    const caller = validateCaller(request.caller);
    requireItemIds(request.items.map((item) => item.itemId));
    requireWithinLimit(
      'the input',
      request.items.map((item) => item.text),
      this.limits.maxInputBytes,
    );

    const items = request.items.map((item) => ({
      itemId: item.itemId,
      text: item.text,
      trust: trustOf(item.provenance),
    }));
    const policy = this.policies.forTenant(caller.tenantId);
    const moderated = moderates(policy, 'input')
      ? items.filter((item) => item.trust === 'user' && item.text.length > 0)
      : [];
    const verdicts =
      moderated.length > 0
        ? await this.moderation.moderate(
            moderated.map((item) => item.text),
            { caller, requestId: request.requestId, stage: 'input' },
          )
        : [];
    const moderation = new Map(moderated.map((item, k) => [item.itemId, verdicts[k]]));
    const result = this.engine.checkInput(policy, items, undefined, moderation);

    sharedSafetyMetrics().record('input', result.decision, result.findings);
    if (isAudited(result.decision, result.findings)) {
      this.auditor.record({
        action: 'safety.input_check',
        decision: result.decision,
        caller,
        requestId: request.requestId,
        traceId: context.traceId,
        policyVersion: result.policyVersion,
        ...summarizeFindings(result.findings),
        itemCount: items.length,
        untrustedItemCount: items.filter((item) => item.trust === 'untrusted').length,
      });
    }
    return {
      decision: toProtoDecision(result.decision),
      findings: result.findings.map((f) => toProtoFinding(f, 'input')),
      policyVersion: result.policyVersion,
      redactedItems: result.redactedItems.map((r) => ({ itemId: r.itemId, redactedText: r.redactedText })),
      refusalMessage: result.refusal ?? '',
      placeholders: toProtoPlaceholders(result.placeholders),
      canary: generateCanary(),
    };
  }
}
