// Maps between the proto types of hearth.safety.v1 and the engine's own decision types.
import { commonV1, safetyV1 } from '@hearth/contracts';

import type { Decision, Finding, FindingAction, Trust } from '../checks/safety-decision.model';
import type { PlaceholderValue } from '../redaction/placeholder.registry';

const DECISIONS: Record<Decision, commonV1.SafetyDecision> = {
  allowed: commonV1.SafetyDecision.SAFETY_DECISION_ALLOWED,
  redacted: commonV1.SafetyDecision.SAFETY_DECISION_REDACTED,
  blocked_input: commonV1.SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT,
  blocked_output: commonV1.SafetyDecision.SAFETY_DECISION_BLOCKED_OUTPUT,
};

// A finding's own action: what the policy did about that one match.
const ACTIONS: Record<FindingAction, (stage: 'input' | 'output') => commonV1.SafetyDecision> = {
  allow: () => commonV1.SafetyDecision.SAFETY_DECISION_ALLOWED,
  flag: () => commonV1.SafetyDecision.SAFETY_DECISION_FLAGGED,
  redact: () => commonV1.SafetyDecision.SAFETY_DECISION_REDACTED,
  block: (stage) =>
    stage === 'input'
      ? commonV1.SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT
      : commonV1.SafetyDecision.SAFETY_DECISION_BLOCKED_OUTPUT,
};

export function toProtoDecision(decision: Decision): commonV1.SafetyDecision {
  return DECISIONS[decision];
}

export function toProtoFinding(finding: Finding, stage: 'input' | 'output'): safetyV1.SafetyFinding {
  return {
    ruleId: finding.ruleId,
    category: finding.category,
    itemId: finding.itemId,
    span: { start: finding.start, end: finding.end },
    action: ACTIONS[finding.action](stage),
  };
}

export function toProtoPlaceholders(values: readonly PlaceholderValue[]): safetyV1.PlaceholderValue[] {
  return values.map((v) => ({ placeholder: v.placeholder, original: v.original }));
}

/** Trust of an input item; a missing provenance or trust counts as untrusted, as the contract says. */
export function trustOf(provenance: commonV1.Provenance | null | undefined): Trust {
  switch (provenance?.trust) {
    case commonV1.TrustLevel.TRUST_LEVEL_TRUSTED:
      return 'trusted';
    case commonV1.TrustLevel.TRUST_LEVEL_USER:
      return 'user';
    default:
      return 'untrusted';
  }
}
