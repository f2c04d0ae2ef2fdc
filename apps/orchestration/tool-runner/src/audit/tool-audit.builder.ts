// Builds the llm.audit.v1 events of the tool runner: one when a call is accepted or refused, one when
// it ends, one per confirmation answer. They carry ids, the tool name, statuses, counts, timings and
// a hash of the arguments, never the arguments or the result themselves (they may hold user data).
import { createHash, randomUUID } from 'node:crypto';

import type { AuditEventInput } from '@hearth/events';

import type { ToolCaller } from '../registry/tool.model';

export type ToolAuditAction = 'tool.call' | 'tool.result' | 'tool.confirmation';
export type ToolAuditDecision = 'allowed' | 'denied' | 'confirmed' | 'rejected';

export interface ToolAuditFacts {
  action: ToolAuditAction;
  decision?: ToolAuditDecision;
  caller: ToolCaller;
  /** ToolCall row id, or the model's call id when no row exists (refused calls). */
  resourceId: string;
  tool: string;
  callId: string;
  requestId: string;
  metadata?: Record<string, string | number | boolean | null>;
}

export function buildToolAuditEvent(facts: ToolAuditFacts, now: Date = new Date()): AuditEventInput {
  return {
    id: randomUUID(),
    occurredAt: now.toISOString(),
    tenantId: facts.caller.tenantId,
    type: 'llm.audit',
    version: 1,
    payload: {
      actor: actorOf(facts.caller),
      action: facts.action,
      ...(facts.decision ? { decision: facts.decision } : {}),
      ruleIds: [],
      resource: { type: 'tool_call', id: facts.resourceId || 'unknown' },
      metadata: {
        tool: facts.tool,
        callId: facts.callId.slice(0, 200) || null,
        requestId: facts.requestId.slice(0, 200) || null,
        ...facts.metadata,
      },
    },
  };
}

/** sha256 of the arguments' JSON text: proves what ran without storing it in the audit trail. */
export function argumentsHash(argumentsJson: string): string {
  return createHash('sha256').update(argumentsJson).digest('hex');
}

function actorOf(caller: ToolCaller): AuditEventInput['payload']['actor'] {
  if (caller.userId) return { type: 'user', id: caller.userId };
  if (caller.apiKeyId) return { type: 'api_key', id: caller.apiKeyId };
  return { type: 'system', id: caller.tenantId };
}
