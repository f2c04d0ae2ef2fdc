// Owns how retrieved document text is made safe to place in a prompt: every chunk is sent to the
// safety service's CheckInput as an untrusted item (a RETRIEVAL provenance with the citation), and
// per chunk the policy's action on injection findings applies — REDACTED: the chunk is replaced by the
// safety service's redacted text, where the whole instruction sentence became "[REMOVED_INSTRUCTION]"
// and the rest of the chunk is kept (neutralised); BLOCKED: the chunk is dropped. A chunk with only
// other findings (PII in the user's own document) keeps its text: the orchestrator's input check of
// the whole assembled context redacts those with the turn's placeholders.
import { commonV1, safetyV1 } from '@hearth/contracts';
import type { GrpcClient } from '@hearth/grpc';

export const REMOVED_INSTRUCTION = '[REMOVED_INSTRUCTION]';
const INJECTION_CATEGORY = 'prompt_injection';

export interface CheckedText {
  text: string;
  decision: commonV1.SafetyDecision;
  ruleIds: string[];
  dropped: boolean;
}

/** The safety service's typed client (CheckInput with the client's default deadline). */
export type SafetyClient = GrpcClient<typeof safetyV1.SafetyServiceDefinition>;

export interface UntrustedItem {
  id: string;
  text: string;
  citation: commonV1.Citation;
}

export async function checkUntrusted(
  safety: SafetyClient,
  caller: commonV1.Caller,
  requestId: string,
  items: readonly UntrustedItem[],
): Promise<CheckedText[]> {
  if (items.length === 0) return [];
  const response = await safety.checkInput({
    caller,
    requestId,
    items: items.map((item) => ({
      itemId: item.id,
      role: commonV1.Role.ROLE_USER,
      text: item.text,
      provenance: {
        layer: commonV1.ContextLayer.CONTEXT_LAYER_RETRIEVAL,
        trust: commonV1.TrustLevel.TRUST_LEVEL_UNTRUSTED,
        sourceId: item.id,
        seqStart: 0,
        seqEnd: 0,
        citation: item.citation,
      },
    })),
  });
  return items.map((item) => {
    const findings = response.findings.filter((f) => f.itemId === item.id);
    const injections = findings.filter((f) => f.category === INJECTION_CATEGORY);
    const ruleIds = [...new Set(findings.map((f) => f.ruleId))];
    if (injections.some((f) => f.action === commonV1.SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT)) {
      return {
        text: '',
        decision: commonV1.SafetyDecision.SAFETY_DECISION_BLOCKED_INPUT,
        ruleIds,
        dropped: true,
      };
    }
    const cut = injections.filter(
      (f) => f.action === commonV1.SafetyDecision.SAFETY_DECISION_REDACTED && f.span,
    );
    if (cut.length === 0)
      return {
        text: item.text,
        decision: commonV1.SafetyDecision.SAFETY_DECISION_ALLOWED,
        ruleIds,
        dropped: false,
      };
    // The redacted text removes whole sentences; the spans (the matches only) are the fallback.
    const redacted = response.redactedItems.find((r) => r.itemId === item.id)?.redactedText;
    return {
      text:
        redacted ??
        removeSpans(
          item.text,
          cut.map((f) => f.span as safetyV1.Span),
        ),
      decision: commonV1.SafetyDecision.SAFETY_DECISION_REDACTED,
      ruleIds,
      dropped: false,
    };
  });
}

/** Replaces each (merged) span with the marker. */
export function removeSpans(text: string, spans: readonly safetyV1.Span[]): string {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const merged: { start: number; end: number }[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ start: span.start, end: span.end });
  }
  let out = '';
  let at = 0;
  for (const span of merged) {
    out += text.slice(at, span.start) + REMOVED_INSTRUCTION;
    at = span.end;
  }
  return out + text.slice(at);
}
