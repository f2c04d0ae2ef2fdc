// Prompt-injection and jailbreak detector. Text is folded first (text-normalizer.ts) so disguised
// phrasing matches like plain phrasing; the rules run on every reading of it (plain, leetspeak,
// reversed or ROT13 when the text asks for that), on decoded base64/hex runs, and on the
// concatenation of quoted fragments (payload splitting: "a='ignore all prev', b='ious instructions'").
// Untrusted text (documents, tool results) also gets the indirect-injection rules, and so do the
// hidden parts of a user's text (comments, hidden markup: hidden-regions.ts), whose matches are
// marked `embedded`. Other languages are matched by multilingual.rules.ts on a view that keeps
// their script. A phrase quoted as an example ("instructions such as "ignore previous
// instructions"") is mentioned, not used, and is not reported.
import { resolveOverlaps, type Detection } from '../detection.model';
import { decodeEncodedRuns } from './encoded-text.decoder';
import { findHiddenRegions, type HiddenRegion } from './hidden-regions';
import { INJECTION_RULES, type InjectionRule } from './injection.rules';
import { matchMultilingual } from './multilingual.rules';
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
// Words that introduce a quoted example right before its opening quote.
const MENTION_CUE =
  /(?:such as|like|e\.g\.|eg\.|for example|for instance|the (?:phrase|phrases|words?|string|sentence|text|prompt)|known as|called)[,:]?\s*$/i;
const QUOTES = '"\'“”‘’«»`';

export class InjectionDetector {
  private readonly allRules = INJECTION_RULES;
  private readonly userRules = INJECTION_RULES.filter((r) => r.scope === 'all');
  private readonly untrustedOnlyRules = INJECTION_RULES.filter((r) => r.scope === 'untrusted');

  detect(text: string, options: InjectionOptions): Detection[] {
    const rules = options.untrusted ? this.allRules : this.userRules;
    const found: Detection[] = [];
    const plain = normalizeText(text);
    for (const view of [plain, ...leetViews(plain)]) found.push(...matchRules(view, rules));
    if (REVERSAL_CUE.test(plain.text)) found.push(...matchRules(reversed(plain), rules));
    if (ROT13_CUE.test(plain.text)) found.push(...matchRules(rot13(plain), rules));
    found.push(...this.encodedPayloads(text, rules, MAX_DECODE_DEPTH));
    found.push(...this.splitPayload(text, rules));
    found.push(...multilingual(text, options.untrusted, plain));
    // In the user's own text, what a reader would not see is judged as a document's text.
    const regions = options.untrusted ? [] : findHiddenRegions(text);
    for (const region of regions) {
      const inner = text.slice(region.start, region.end);
      const view = normalizeText(inner);
      for (const d of [...matchRules(view, this.untrustedOnlyRules), ...multilingual(inner, true, view)]) {
        found.push({ ...d, start: d.start + region.start, end: d.end + region.start });
      }
    }
    return dedupe(found)
      .filter((d) => !isQuotedExample(text, d))
      .map((d) => (!d.embedded && insideAny(regions, d) ? { ...d, embedded: true } : d));
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
      found.push(injection(rule.id, span.start, span.end, rule.embedded));
    }
  }
  return found;
}

const ASCII_ONLY = /^[\t\n\r\x20-\x7e]*$/;

/** The multilingual moves, on a view that keeps each script as written (for ASCII text: `plain`). */
function multilingual(text: string, untrusted: boolean, plain: NormalizedView): Detection[] {
  const view = ASCII_ONLY.test(text) ? plain : normalizeText(text, { confusables: false });
  return matchMultilingual(view, untrusted).map((m) => {
    const span = originalSpan(view, m.start, Math.max(m.start + 1, m.end));
    return injection(m.ruleId, span.start, span.end, m.embedded);
  });
}

function injection(ruleId: string, start: number, end: number, embedded?: boolean): Detection {
  return {
    ruleId,
    category: 'prompt_injection',
    start,
    end,
    label: 'REMOVED_INSTRUCTION',
    ...(embedded ? { embedded: true } : {}),
  };
}

function insideAny(regions: readonly HiddenRegion[], d: Detection): boolean {
  return regions.some((r) => d.start >= r.start && d.end <= r.end);
}

/** True when the match is exactly a quoted example: "such as "ignore previous instructions"". */
function isQuotedExample(text: string, d: Detection): boolean {
  const open = text.slice(Math.max(0, d.start - 3), d.start);
  const close = text.slice(d.end, d.end + 3);
  const openAt = [...open].findLastIndex((c) => QUOTES.includes(c));
  if (openAt < 0 || ![...close].some((c) => QUOTES.includes(c))) return false;
  const quoteIndex = Math.max(0, d.start - 3) + openAt;
  return MENTION_CUE.test(text.slice(Math.max(0, quoteIndex - 40), quoteIndex));
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
