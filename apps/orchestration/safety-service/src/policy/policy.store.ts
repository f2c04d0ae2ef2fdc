// The loaded policies, by tenant, and the one question the checks ask of them: what to do about a
// rule that matched at a given stage and trust.
import type { DetectorCategory } from '../detectors/detection.model';
import { DEFAULT_TENANT, type PolicyAction, type RuleId, type SafetyPolicy } from './policy.schema';

export type CheckStage = 'input' | 'output';

export class PolicyStore {
  constructor(private readonly policies: ReadonlyMap<string, SafetyPolicy>) {}

  /** The tenant's own policy, or the default one. */
  forTenant(tenantId: string): SafetyPolicy {
    return this.policies.get(tenantId) ?? (this.policies.get(DEFAULT_TENANT) as SafetyPolicy);
  }

  get size(): number {
    return this.policies.size;
  }
}

/** What a policy does about one rule: a per-rule override, else the stage's setting for its category. */
export function actionFor(
  policy: SafetyPolicy,
  stage: CheckStage,
  ruleId: string,
  category: DetectorCategory,
  untrusted: boolean,
): PolicyAction {
  const override = policy.rules[ruleId as RuleId];
  if (override) return override;
  if (stage === 'input') {
    switch (category) {
      case 'pii':
        return policy.input.pii;
      case 'secrets':
        return policy.input.secrets;
      case 'prompt_injection':
        return untrusted ? policy.input.untrusted_injection : policy.input.injection;
      case 'system_prompt_leak':
        return { action: 'allow' };
      default:
        return policy.input[category];
    }
  }
  switch (category) {
    case 'pii':
      return policy.output.pii;
    case 'secrets':
      return policy.output.secrets;
    case 'system_prompt_leak':
      return policy.output.system_prompt_leak;
    case 'prompt_injection':
      return { action: 'allow' };
    default:
      return policy.output[category];
  }
}

/** The refusal a block action shows: its own, else the policy's default. */
export function refusalOf(policy: SafetyPolicy, action: PolicyAction): string {
  return action.action === 'block' && action.refusal ? action.refusal : policy.refusal;
}

/** True when some harmful-content category or moderation rule is not simply allowed at `stage`. */
export function moderates(policy: SafetyPolicy, stage: CheckStage): boolean {
  const section = policy[stage];
  return (
    [section.violence, section.self_harm, section.sexual_minors, section.hate].some(
      (a) => a.action !== 'allow',
    ) ||
    Object.entries(policy.rules).some(
      ([ruleId, a]) => ruleId.startsWith('moderation.') && a?.action !== 'allow',
    )
  );
}
