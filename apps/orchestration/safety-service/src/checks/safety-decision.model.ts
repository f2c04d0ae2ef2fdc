// The outcome of a check in our own terms (the gRPC layer maps it to the proto types). A finding
// carries where a rule matched and what the policy did about it, never the matched text.
import type { DetectorCategory } from '../detectors/detection.model';
import type { PlaceholderValue } from '../redaction/placeholder.registry';

export type Decision = 'allowed' | 'redacted' | 'blocked_input' | 'blocked_output';
export type FindingAction = 'allow' | 'flag' | 'redact' | 'block';
export type Trust = 'trusted' | 'user' | 'untrusted';

export interface Finding {
  readonly ruleId: string;
  readonly category: DetectorCategory;
  /** Input item the match is in; empty for outputs. */
  readonly itemId: string;
  readonly start: number;
  readonly end: number;
  readonly action: FindingAction;
}

export interface InputItemToCheck {
  readonly itemId: string;
  readonly text: string;
  readonly trust: Trust;
}

export interface InputDecision {
  readonly decision: Extract<Decision, 'allowed' | 'redacted' | 'blocked_input'>;
  readonly findings: readonly Finding[];
  readonly policyVersion: string;
  readonly redactedItems: readonly { itemId: string; redactedText: string }[];
  readonly placeholders: readonly PlaceholderValue[];
  readonly refusal?: string;
}

export interface OutputDecision {
  readonly decision: Extract<Decision, 'allowed' | 'redacted' | 'blocked_output'>;
  readonly findings: readonly Finding[];
  readonly policyVersion: string;
  readonly redactedText?: string;
  readonly placeholders: readonly PlaceholderValue[];
  readonly refusal?: string;
}
