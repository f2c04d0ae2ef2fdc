// System-prompt leak detector: the orchestrator plants a per-turn canary token in the system prompt;
// the token turning up in an output means the model repeated its instructions. Matching ignores
// case, separators and the usual disguises ("h c _ 1 2 3", fullwidth digits), because a model asked
// to leak its prompt "creatively" rarely copies it byte for byte.
import { randomBytes } from 'node:crypto';

import type { Detection } from '../detection.model';
import { normalizeText, originalSpan } from '../injection/text-normalizer';

export const CANARY_RULE_ID = 'leak.system_prompt_canary';
/** Shorter canaries would match ordinary text by chance. */
export const MIN_CANARY_LENGTH = 8;

/** A fresh canary: a prefix the detector does not rely on and 80 random bits. */
export function generateCanary(): string {
  return `hc-${randomBytes(10).toString('hex')}`;
}

export class CanaryDetector {
  detect(text: string, canaries: readonly string[]): Detection[] {
    if (canaries.length === 0 || text.length === 0) return [];
    const folded = normalizeText(text);
    // Keep only letters and digits, remembering where each came from in the folded view.
    const positions: number[] = [];
    let compact = '';
    for (let k = 0; k < folded.text.length; k++) {
      if (/[a-z0-9]/.test(folded.text[k])) {
        compact += folded.text[k];
        positions.push(k);
      }
    }
    const found: Detection[] = [];
    for (const canary of canaries) {
      const needle = normalizeText(canary).text.replace(/[^a-z0-9]/g, '');
      if (needle.length < MIN_CANARY_LENGTH) continue;
      for (let at = compact.indexOf(needle); at >= 0; at = compact.indexOf(needle, at + needle.length)) {
        const span = originalSpan(folded, positions[at], positions[at + needle.length - 1] + 1);
        found.push({
          ruleId: CANARY_RULE_ID,
          category: 'system_prompt_leak',
          start: span.start,
          end: span.end,
          label: 'REDACTED',
        });
      }
    }
    return found;
  }
}
