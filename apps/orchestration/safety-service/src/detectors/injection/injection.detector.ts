// Prompt-injection and jailbreak detector. Text is folded first (text-normalizer.ts) so disguised
// phrasing matches like plain phrasing; the rules run on every reading of it (plain, leetspeak,
// reversed or ROT13 when the text asks for that), on decoded base64/hex runs, and on the
// concatenation of quoted fragments (payload splitting: "a='ignore all prev', b='ious instructions'").
// Untrusted text (documents, tool results) also gets the indirect-injection rules.
import { resolveOverlaps, type Detection } from '../detection.model';
import { decodeEncodedRuns } from './encoded-text.decoder';
import { INJECTION_RULES, type InjectionRule } from './injection.rules';
import { leetViews, normalizeText, originalSpan, type NormalizedView } from './text-normalizer';

export interface InjectionOptions {
  /** Third-party text: any instruction aimed at the model counts, not only jailbreak phrasing. */
  readonly untrusted: boolean;
}

const REVERSAL_CUE = /\b(?:revers\w*|backwards?|right to left)\b/;
const ROT13_CUE = /\b(?:rot ?-?13|caesar)\b/;
// Quoted strings (the opening quote after a separator, so "don't" is no fragment) and unquoted
// one-line assignments ("x = ignore all"). Lookbehinds are avoided: they would run at every position.
const QUOTED = /(["'`])([^"'`\n]{1,160}?)\1(?=$|[\s;,)+\]}.])/g;
const ASSIGNED = /\b[A-Za-z_]\w{0,10} ?= ?([^;\n"'`=]{2,120})(?=;|\n|$)/g;
const FRAGMENT_OPENERS = /[\s=:(,+[{]/;
const MAX_DECODE_DEPTH = 2;

export class InjectionDetector {
  private readonly allRules = INJECTION_RULES;
  private readonly userRules = INJECTION_RULES.filter((r) => r.scope === 'all');

  detect(text: string, options: InjectionOptions): Detection[] {
    const rules = options.untrusted ? this.allRules : this.userRules;
    const found: Detection[] = [];
    const plain = normalizeText(text);
    for (const view of [plain, ...leetViews(plain)]) found.push(...matchRules(view, rules));
    if (REVERSAL_CUE.test(plain.text)) found.push(...matchRules(reversed(plain), rules));
    if (ROT13_CUE.test(plain.text)) found.push(...matchRules(rot13(plain), rules));
    found.push(...this.encodedPayloads(text, rules, MAX_DECODE_DEPTH));
    found.push(...this.splitPayload(text, rules));
    return dedupe(found);
  }

  /** Encoded runs whose decoded text (decoded again, up to `depth` layers) trips a rule. */
  private encodedPayloads(text: string, rules: readonly InjectionRule[], depth: number): Detection[] {
    const found: Detection[] = [];
    for (const run of decodeEncodedRuns(text)) {
      const decoded = normalizeText(run.decoded);
      const hit =
        [decoded, ...leetViews(decoded)].some((view) => matchRules(view, rules).length > 0) ||
        (depth > 1 && this.encodedPayloads(run.decoded, rules, depth - 1).length > 0);
      if (hit) found.push(injection('injection.encoded_payload', run.start, run.end));
    }
    return found;
  }

  /** Quoted fragments or assignments that only form an injection once put together. */
  private splitPayload(text: string, rules: readonly InjectionRule[]): Detection[] {
    const fragments: { start: number; end: number; value: string }[] = [];
    for (const m of text.matchAll(QUOTED)) {
      if (m.index === 0 || FRAGMENT_OPENERS.test(text[m.index - 1])) {
        fragments.push({ start: m.index, end: m.index + m[0].length, value: m[2] });
      }
    }
    if (text.includes('=')) {
      for (const m of text.matchAll(ASSIGNED))
        fragments.push({ start: m.index, end: m.index + m[0].length, value: m[1] });
    }
    if (fragments.length < 2) return [];
    fragments.sort((a, b) => a.start - b.start);
    const parts = fragments.map((f) => f.value);
    for (const joined of [parts.join(''), parts.join(' ')]) {
      if (matchRules(normalizeText(joined), rules).length > 0) {
        return [
          injection('injection.payload_splitting', fragments[0].start, fragments[fragments.length - 1].end),
        ];
      }
    }
    return [];
  }
}

function matchRules(view: NormalizedView, rules: readonly InjectionRule[]): Detection[] {
  const found: Detection[] = [];
  for (const rule of rules) {
    if (rule.hint && !rule.hint.test(view.text)) continue;
    for (const match of view.text.matchAll(rule.pattern)) {
      if (match[0].length === 0) continue;
      const span = originalSpan(view, match.index, match.index + match[0].length);
      found.push(injection(rule.id, span.start, span.end));
    }
  }
  return found;
}

function injection(ruleId: string, start: number, end: number): Detection {
  return { ruleId, category: 'prompt_injection', start, end, label: 'REMOVED_INSTRUCTION' };
}

/** One detection per rule and overlapping region (the several readings of a text often agree). */
function dedupe(found: Detection[]): Detection[] {
  const byRule = new Map<string, Detection[]>();
  for (const d of found) byRule.set(d.ruleId, [...(byRule.get(d.ruleId) ?? []), d]);
  return [...byRule.values()]
    .flatMap((list) => resolveOverlaps(list, () => 0))
    .sort((a, b) => a.start - b.start || a.ruleId.localeCompare(b.ruleId));
}

function reversed(view: NormalizedView): NormalizedView {
  return {
    text: [...view.text].reverse().join(''),
    starts: view.starts.slice().reverse(),
    ends: view.ends.slice().reverse(),
  };
}

function rot13(view: NormalizedView): NormalizedView {
  const text = view.text.replace(/[a-z]/g, (c) =>
    String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97),
  );
  return { text, starts: view.starts, ends: view.ends };
}
