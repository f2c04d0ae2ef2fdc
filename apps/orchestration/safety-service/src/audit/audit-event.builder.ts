// Builds the llm.audit.v1 event for a safety decision that is not a plain allow: redacted, blocked,
// or allowed with flagged findings (harmful content a policy flags for review). It carries the
// decision, rule ids, counts, categories (and which were flagged), the policy version and the trace
// id; never text, spans of text or placeholder values (the event schema itself refuses raw-text keys
// in metadata).
import { randomUUID } from 'node:crypto';

import type { AuditEventInput } from '@hearth/events';

import type { Decision, Finding } from '../checks/safety-decision.model';

export type SafetyAuditAction = 'safety.input_check' | 'safety.output_check' | 'safety.output_stream_check';

export interface AuditCaller {
  readonly tenantId: string;
  readonly userId: string;
  readonly apiKeyId: string;
}

export interface SafetyAuditFacts {
  readonly action: SafetyAuditAction;
  /** `allowed` only with flagged findings. */
  readonly decision: Decision;
  readonly caller: AuditCaller;
  readonly requestId: string;
  readonly traceId?: string;
  readonly policyVersion: string;
  readonly ruleIds: readonly string[];
  readonly findingCount: number;
  readonly categories: readonly string[];
  /** Categories of findings the policy flagged. */
  readonly flaggedCategories?: readonly string[];
  /** Input checks: how many items were checked and how many of them were untrusted. */
  readonly itemCount?: number;
  readonly untrustedItemCount?: number;
}

const MAX_RULE_IDS = 100;

export function buildSafetyAuditEvent(facts: SafetyAuditFacts, now: Date = new Date()): AuditEventInput {
  const metadata: Record<string, string | number> = {
    policyVersion: facts.policyVersion,
    findingCount: facts.findingCount,
    categories: [...new Set(facts.categories)].sort().join(',').slice(0, 256),
  };
  if (facts.flaggedCategories && facts.flaggedCategories.length > 0)
    metadata.flaggedCategories = [...new Set(facts.flaggedCategories)].sort().join(',').slice(0, 256);
  if (facts.itemCount !== undefined) metadata.itemCount = facts.itemCount;
  if (facts.untrustedItemCount !== undefined) metadata.untrustedItemCount = facts.untrustedItemCount;
  return {
    id: randomUUID(),
    occurredAt: now.toISOString(),
    tenantId: facts.caller.tenantId,
    ...(facts.traceId ? { traceId: facts.traceId } : {}),
    type: 'llm.audit',
    version: 1,
    payload: {
      actor: actorOf(facts.caller),
      action: facts.action,
      decision: facts.decision,
      ruleIds: [...new Set(facts.ruleIds)].sort().slice(0, MAX_RULE_IDS),
      resource: { type: 'chat_request', id: facts.requestId || 'unknown' },
      metadata,
    },
  };
}

/** Rule ids and categories of findings, for audit. */
export function summarizeFindings(
  findings: readonly Finding[],
): Pick<SafetyAuditFacts, 'ruleIds' | 'findingCount' | 'categories' | 'flaggedCategories'> {
  return {
    ruleIds: [...new Set(findings.map((f) => f.ruleId))],
    findingCount: findings.length,
    categories: [...new Set(findings.map((f) => f.category))],
    flaggedCategories: [...new Set(findings.filter((f) => f.action === 'flag').map((f) => f.category))],
  };
}

/** Whether a decision is audited: anything but a plain allow (flagged findings count). */
export function isAudited(decision: Decision, findings: readonly Pick<Finding, 'action'>[]): boolean {
  return decision !== 'allowed' || findings.some((f) => f.action === 'flag');
}

function actorOf(caller: AuditCaller): AuditEventInput['payload']['actor'] {
  if (caller.userId) return { type: 'user', id: caller.userId };
  if (caller.apiKeyId) return { type: 'api_key', id: caller.apiKeyId };
  return { type: 'system', id: caller.tenantId };
}
