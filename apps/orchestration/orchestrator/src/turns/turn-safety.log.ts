// Owns what a turn keeps of each safety decision: the decision in the trace, an audit rule for every
// decision that was not a plain allow (or that matched rules), and a `safety` event to the client when
// asked and the text was not simply allowed. Input and output guards and the streamed output check of
// each model call record here, so the turn's audit events come out in the order the checks ran.
import { commonV1, orchestratorV1, type safetyV1 } from '@hearth/contracts';

import type { TurnScope } from './turn.scope';

const { SafetyDecision } = commonV1;
const { SafetyStage } = orchestratorV1;

export type AuditDecision = 'allowed' | 'redacted' | 'blocked_input' | 'blocked_output';

export interface AuditedSafetyRule {
  stage: 'input' | 'output';
  decision: AuditDecision;
  ruleIds: string[];
  policyVersion: string;
}

const DECISION_NAMES: Record<number, AuditDecision> = {
  [SafetyDecision.SAFETY_DECISION_ALLOWED]: 'allowed',
  [SafetyDecision.SAFETY_DECISION_REDACTED]: 'redacted',
  [SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT]: 'blocked_input',
  [SafetyDecision.SAFETY_DECISION_BLOCKED_OUTPUT]: 'blocked_output',
};

export class TurnSafetyLog {
  readonly auditRules: AuditedSafetyRule[] = [];

  constructor(private readonly scope: TurnScope) {}

  record(
    stage: orchestratorV1.SafetyStage,
    decision: commonV1.SafetyDecision,
    findings: safetyV1.SafetyFinding[],
    policyVersion: string,
    notify: boolean,
  ): void {
    const ruleIds = [...new Set(findings.map((finding) => finding.ruleId))];
    this.scope.trace.safety.push({ stage, decision, ruleIds, policyVersion });
    if (decision !== SafetyDecision.SAFETY_DECISION_ALLOWED || ruleIds.length > 0) {
      this.auditRules.push({
        stage: stage === SafetyStage.SAFETY_STAGE_INPUT ? 'input' : 'output',
        decision: DECISION_NAMES[decision] ?? 'allowed',
        ruleIds,
        policyVersion,
      });
    }
    if (notify && decision !== SafetyDecision.SAFETY_DECISION_ALLOWED)
      this.scope.emit({ safety: { stage, decision, ruleIds, policyVersion } });
  }
}
