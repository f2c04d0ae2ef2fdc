// The checks themselves, free of transport: run the detectors a stage needs, ask the policy what to
// do about each match, and build the redacted text or the refusal. Trusted text (operator system
// prompts) is not checked: it is the operator's own instruction, and it carries the canary.
// Harmful-content (moderation) detections come from the moderation port, which may be a model
// behind the gateway, so the check services pass them in; a `flag` verdict changes nothing in the
// text or the decision and is only reported (and audited by the caller).
import { Injectable } from '@nestjs/common';
import type { CountryCode } from 'libphonenumber-js/max';

import type { Detection } from '../detectors/detection.model';
import { InjectionDetector } from '../detectors/injection/injection.detector';
import { CanaryDetector } from '../detectors/leak/canary.detector';
import { RuleModerator } from '../detectors/moderation/moderation.rules';
import { PiiDetector, type PiiOptions } from '../detectors/pii/pii.detector';
import { SecretsDetector } from '../detectors/secrets/secrets.detector';
import type { PolicyAction, SafetyPolicy } from '../policy/policy.schema';
import { actionFor, refusalOf, type CheckStage } from '../policy/policy.store';
import { PlaceholderRegistry } from '../redaction/placeholder.registry';
import { applyReplacements, sentenceAround, type Replacement } from '../redaction/text-redactor';
import type { Finding, InputDecision, InputItemToCheck, OutputDecision } from './safety-decision.model';

/** A detection with the policy's verdict on it. */
export interface JudgedDetection extends Detection {
  readonly action: PolicyAction;
}

/** Which replacement wins where ranges overlap: a removed instruction swallows the PII inside it. */
const REDACTION_RANK: Record<Detection['category'], number> = {
  prompt_injection: 0,
  system_prompt_leak: 1,
  secrets: 2,
  pii: 3,
  // Never redacted (the policy schema refuses it); ranked for completeness.
  violence: 4,
  self_harm: 4,
  sexual_minors: 4,
  hate: 4,
};

/**
 * Which block's refusal the user sees when several rules block: someone at risk of self-harm sees
 * that refusal (policies put support resources there) before any other.
 */
const BLOCK_RANK: Record<Detection['category'], number> = {
  self_harm: 0,
  sexual_minors: 1,
  violence: 2,
  hate: 3,
  prompt_injection: 4,
  system_prompt_leak: 5,
  secrets: 6,
  pii: 7,
};

@Injectable()
export class SafetyEngine {
  private readonly pii = new PiiDetector();
  private readonly secrets = new SecretsDetector();
  private readonly injection = new InjectionDetector();
  private readonly canary = new CanaryDetector();
  private readonly rules = new RuleModerator();

  /**
   * `moderation`: harmful-content detections of the user items, by item id (from the moderation
   * port; documents and tool results are not moderated).
   */
  checkInput(
    policy: SafetyPolicy,
    items: readonly InputItemToCheck[],
    registry = new PlaceholderRegistry(),
    moderation: ReadonlyMap<string, readonly Detection[]> = new Map(),
  ): InputDecision {
    const findings: Finding[] = [];
    const perItem: { item: InputItemToCheck; judged: JudgedDetection[] }[] = [];
    for (const item of items) {
      if (item.trust === 'trusted' || item.text.length === 0) continue;
      const untrusted = item.trust === 'untrusted';
      const detections = [
        ...this.pii.detect(item.text, phoneOptions(policy)),
        ...this.secrets.detect(item.text),
        ...this.injection.detect(item.text, { untrusted }),
        ...(moderation.get(item.itemId) ?? []),
      ];
      // Third-party text inside the user's item (a poisoned document they pasted) is judged as the
      // untrusted text it is: its instruction is neutralised, the user's request goes on.
      const judged = detections.map((d) => judge(policy, 'input', d, untrusted || d.embedded === true));
      perItem.push({ item, judged });
      findings.push(...judged.map((d) => toFinding(d, item.itemId)));
    }

    const blocking = perItem.flatMap((p) => p.judged).filter((d) => d.action.action === 'block');
    if (blocking.length > 0) {
      return {
        decision: 'blocked_input',
        findings,
        policyVersion: policy.version,
        redactedItems: [],
        placeholders: [],
        refusal: firstRefusal(policy, blocking),
      };
    }

    const redactedItems = perItem
      .filter((p) => p.judged.some((d) => d.action.action === 'redact'))
      .map((p) => ({ itemId: p.item.itemId, redactedText: redactText(p.item.text, p.judged, registry) }));
    return {
      decision: redactedItems.length > 0 ? 'redacted' : 'allowed',
      findings,
      policyVersion: policy.version,
      redactedItems,
      placeholders: registry.takeAdded(),
    };
  }

  checkOutput(
    policy: SafetyPolicy,
    text: string,
    canaries: readonly string[],
    registry = new PlaceholderRegistry(),
    moderation: readonly Detection[] = [],
  ): OutputDecision {
    const judged = this.detectOutput(policy, text, canaries, moderation);
    const findings = judged.map((d) => toFinding(d, ''));
    const blocking = judged.filter((d) => d.action.action === 'block');
    if (blocking.length > 0) {
      return {
        decision: 'blocked_output',
        findings,
        policyVersion: policy.version,
        placeholders: [],
        refusal: firstRefusal(policy, blocking),
      };
    }
    if (!judged.some((d) => d.action.action === 'redact')) {
      return { decision: 'allowed', findings, policyVersion: policy.version, placeholders: [] };
    }
    return {
      decision: 'redacted',
      findings,
      policyVersion: policy.version,
      redactedText: redactText(text, judged, registry),
      placeholders: registry.takeAdded(),
    };
  }

  /** Output detections with the policy's verdicts; the streaming check runs this on its window. */
  detectOutput(
    policy: SafetyPolicy,
    text: string,
    canaries: readonly string[],
    moderation: readonly Detection[] = [],
  ): JudgedDetection[] {
    if (text.length === 0) return [];
    const detections = [
      ...this.pii.detect(text, phoneOptions(policy)),
      ...this.secrets.detect(text),
      ...this.canary.detect(text, canaries),
      ...moderation,
    ];
    return this.judgeOutput(policy, detections);
  }

  /** The policy's output verdicts on detections made elsewhere (a guard model's, on a whole stream). */
  judgeOutput(policy: SafetyPolicy, detections: readonly Detection[]): JudgedDetection[] {
    return detections.map((d) => judge(policy, 'output', d, false)).sort((a, b) => a.start - b.start);
  }

  /** The rule-based moderator, for the streaming check's windows (it cannot wait for a model). */
  moderateWithRules(text: string): Detection[] {
    return this.rules.detect(text);
  }
}

function phoneOptions(policy: SafetyPolicy): PiiOptions {
  return {
    defaultPhoneRegion: policy.phone.defaultRegion as CountryCode,
    fallbackPhoneRegions: policy.phone.fallbackRegions as CountryCode[] | undefined,
  };
}

function judge(policy: SafetyPolicy, stage: CheckStage, d: Detection, untrusted: boolean): JudgedDetection {
  return { ...d, action: actionFor(policy, stage, d.ruleId, d.category, untrusted) };
}

function toFinding(d: JudgedDetection, itemId: string): Finding {
  return {
    ruleId: d.ruleId,
    category: d.category,
    itemId,
    start: d.start,
    end: d.end,
    action: d.action.action,
  };
}

function firstRefusal(policy: SafetyPolicy, blocking: readonly JudgedDetection[]): string {
  const first = [...blocking].sort((a, b) => BLOCK_RANK[a.category] - BLOCK_RANK[b.category])[0];
  return refusalOf(policy, first.action);
}

/** The replacement a redact verdict puts in place of a match. */
export function replacementFor(text: string, d: Detection, registry: PlaceholderRegistry): Replacement {
  if (d.category === 'prompt_injection') {
    // An instruction is removed with its sentence, so no half-instruction is left to obey.
    const whole = d.ruleId === 'injection.encoded_payload' ? d : sentenceAround(text, d.start, d.end);
    return { start: whole.start, end: whole.end, text: `[${d.label}]` };
  }
  if (d.category === 'system_prompt_leak') return { start: d.start, end: d.end, text: `[${d.label}]` };
  const original = text.slice(d.start, d.end);
  return {
    start: d.start,
    end: d.end,
    text: registry.placeholderFor(d.label, original, d.canonical ?? original),
  };
}

/** `text` with every redact verdict applied; placeholders are numbered in reading order. */
export function redactText(
  text: string,
  judged: readonly JudgedDetection[],
  registry: PlaceholderRegistry,
): string {
  const toRedact = judged
    .filter((d) => d.action.action === 'redact')
    .sort((a, b) => REDACTION_RANK[a.category] - REDACTION_RANK[b.category] || a.start - b.start);
  // Widen first, then number: the placeholder of a value swallowed by a removed sentence is never made.
  const taken: Replacement[] = [];
  const ordered: { d: JudgedDetection; range: { start: number; end: number } }[] = [];
  for (const d of toRedact) {
    const range =
      d.category === 'prompt_injection' && d.ruleId !== 'injection.encoded_payload'
        ? sentenceAround(text, d.start, d.end)
        : d;
    if (taken.some((t) => range.start < t.end && range.end > t.start)) continue;
    taken.push({ start: range.start, end: range.end, text: '' });
    ordered.push({ d, range });
  }
  ordered.sort((a, b) => a.range.start - b.range.start);
  return applyReplacements(
    text,
    ordered.map(({ d }) => replacementFor(text, d, registry)),
  );
}
