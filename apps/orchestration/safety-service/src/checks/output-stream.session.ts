// One streaming output check. Deltas accumulate; after each one the unreleased tail (plus a little
// already-released context before it) is checked, and text is released only up to a hold-back
// boundary: any unfinished word stays behind, the boundary never cuts through a match, and the last
// HOLD_BACK characters are held from their first word that could begin a multi-word value (a word
// with a digit or a symbol: phone, card, IBAN, SSN, a PEM header). Every output detector matches
// either one whole word or a span that starts with such a word, so a value or canary split across
// deltas ("sk-pr" + "oj-abc…") is seen whole before any of it reaches the user, while ordinary prose
// flows word by word (time to first token is not 64 characters of generation). A block verdict stops
// the stream before the violating text is released. Finding spans index the whole output so far.
// Harmful content is moderated by the rules on every window (when the policy moderates output), so
// a blocked category stops the stream early; a guard model's verdict on the whole output, when one
// is configured, comes with `end` (detections made elsewhere are judged like the window's).
import type { Detection } from '../detectors/detection.model';
import type { SafetyPolicy } from '../policy/policy.schema';
import { refusalOf } from '../policy/policy.store';
import { PlaceholderRegistry, type PlaceholderValue } from '../redaction/placeholder.registry';
import { applyReplacements } from '../redaction/text-redactor';
import type { Finding } from './safety-decision.model';
import { replacementFor, type JudgedDetection, type SafetyEngine } from './safety.engine';

/** Characters always held back: longer than any phone, card, IBAN or canary as written. */
export const HOLD_BACK = 64;
/** Released text re-checked as context for matches that need words before them ("SSN: ..."). */
const LOOKBACK = 128;
/** A word no output detector can start a multi-word match with: letters, quotes, sentence punctuation. */
const PLAIN_WORD = /^[\p{L}\p{M}'’"“”([]*[\p{L}\p{M}]+[\p{L}\p{M}'’"“”)\].,!?;:]*$/u;
/** An unbroken run longer than this (a huge token) is released even without a word break. */
const MAX_TOKEN_HOLD = 4_096;

export interface StreamStep {
  readonly decision: 'allowed' | 'redacted' | 'blocked_output';
  readonly findings: readonly Finding[];
  readonly releasedText: string;
  readonly stop: boolean;
  readonly placeholders: readonly PlaceholderValue[];
  readonly refusal?: string;
}

export class OutputStreamSession {
  private text = '';
  private released = 0;
  private redacted = false;
  private stopped = false;
  private readonly reported = new Set<string>();
  private readonly ruleIds = new Set<string>();
  private readonly categories = new Set<string>();
  private readonly flagged = new Set<string>();
  private readonly registry: PlaceholderRegistry;

  constructor(
    private readonly engine: SafetyEngine,
    readonly policy: SafetyPolicy,
    private readonly canaries: readonly string[],
    known: readonly PlaceholderValue[] = [],
    /** Run the rule-based moderator on every window. */
    private readonly moderateWindows = false,
  ) {
    this.registry = new PlaceholderRegistry(known);
  }

  get length(): number {
    return this.text.length;
  }

  /** The whole output received so far. */
  get received(): string {
    return this.text;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  get wasRedacted(): boolean {
    return this.redacted;
  }

  /** Rule ids of every finding reported so far, and how many findings (for the audit event). */
  get summary(): {
    ruleIds: string[];
    findingCount: number;
    categories: string[];
    flaggedCategories: string[];
  } {
    return {
      ruleIds: [...this.ruleIds],
      findingCount: this.reported.size,
      categories: [...this.categories],
      flaggedCategories: [...this.flagged],
    };
  }

  push(delta: string): StreamStep {
    this.text += delta;
    return this.step(false);
  }

  /**
   * No more text: release everything still held back. `verdicts`: detections on the whole output
   * made elsewhere (a guard model's), judged with the rest.
   */
  end(verdicts: readonly Detection[] = []): StreamStep {
    return this.step(true, verdicts);
  }

  private step(final: boolean, verdicts: readonly Detection[] = []): StreamStep {
    if (this.stopped) return this.result([], '', []);
    const windowStart = Math.max(0, this.released - LOOKBACK);
    const window = this.text.slice(windowStart);
    const moderation = this.moderateWindows ? this.engine.moderateWithRules(window) : [];
    const detections = [
      ...this.engine
        .detectOutput(this.policy, window, this.canaries, moderation)
        .map((d) => ({ ...d, start: d.start + windowStart, end: d.end + windowStart }))
        .filter((d) => d.end > this.released),
      // A verdict on the whole output counts even when all of it was already released.
      ...this.engine.judgeOutput(this.policy, verdicts),
    ].sort((a, b) => a.start - b.start);

    const blocking = detections.filter((d) => d.action.action === 'block');
    if (blocking.length > 0) {
      this.stopped = true;
      return this.result(this.report(detections), '', [], refusalOf(this.policy, blocking[0].action));
    }

    const boundary = final ? this.text.length : this.boundary(detections);
    if (boundary <= this.released) return this.result(final ? this.report(detections) : [], '', []);
    const settled = detections.filter((d) => d.end <= boundary);
    const toRedact = settled.filter((d) => d.action.action === 'redact' && d.start >= this.released);
    const segment = this.text.slice(this.released, boundary);
    const releasedText = applyReplacements(
      segment,
      toRedact.map((d) => {
        const r = replacementFor(this.text, d, this.registry);
        return { start: r.start - this.released, end: r.end - this.released, text: r.text };
      }),
    );
    if (toRedact.length > 0) this.redacted = true;
    this.released = boundary;
    return this.result(this.report(settled), releasedText, this.registry.takeAdded());
  }

  /** Where releasing may stop now: behind the hold-back, before an unfinished word, outside matches. */
  private boundary(detections: readonly JudgedDetection[]): number {
    let boundary = Math.max(this.heldBackBoundary(), this.plainWordsEnd());
    if (boundary <= this.released) return this.released;
    // Only a match that changes the text (redact) or stops it (block) must be seen whole.
    const holding = detections.filter((d) => d.action.action === 'redact' || d.action.action === 'block');
    for (let moved = true; moved;) {
      moved = false;
      for (const d of holding) {
        if (d.start < boundary && d.end > boundary && d.start >= this.released) {
          boundary = d.start;
          moved = true;
        }
      }
    }
    return boundary;
  }

  /** The fixed hold-back: everything but the last HOLD_BACK characters, cut at a word break. */
  private heldBackBoundary(): number {
    const boundary = this.text.length - HOLD_BACK;
    if (boundary <= this.released) return this.released;
    const lastBreak = this.text.slice(this.released, boundary).search(/\s(?=\S*$)/);
    if (lastBreak >= 0) return this.released + lastBreak + 1;
    return this.text.length - this.released <= MAX_TOKEN_HOLD ? this.released : boundary;
  }

  /** End of the run of finished plain words (letters and sentence punctuation) after `released`. */
  private plainWordsEnd(): number {
    const word = /\s*(\S+)\s/y;
    word.lastIndex = this.released;
    let end = this.released;
    for (let match = word.exec(this.text); match; match = word.exec(this.text)) {
      if (!PLAIN_WORD.test(match[1])) break;
      end = word.lastIndex;
    }
    return end;
  }

  private report(detections: readonly JudgedDetection[]): Finding[] {
    const fresh: Finding[] = [];
    for (const d of detections) {
      const key = `${d.ruleId}@${d.start}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.ruleIds.add(d.ruleId);
      this.categories.add(d.category);
      if (d.action.action === 'flag') this.flagged.add(d.category);
      fresh.push({
        ruleId: d.ruleId,
        category: d.category,
        itemId: '',
        start: d.start,
        end: d.end,
        action: d.action.action,
      });
    }
    return fresh;
  }

  private result(
    findings: Finding[],
    releasedText: string,
    placeholders: PlaceholderValue[],
    refusal?: string,
  ): StreamStep {
    return {
      decision: this.stopped ? 'blocked_output' : this.redacted ? 'redacted' : 'allowed',
      findings,
      releasedText,
      stop: this.stopped,
      placeholders,
      refusal,
    };
  }
}
