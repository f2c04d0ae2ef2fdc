// Owns the drafting half of speculative decoding by prompt lookup: which requests may draft, and
// where a draft comes from — the tokens that followed the latest generated n-gram in the request's
// prompt. Answers that copy their context (grounded quotes, code edits, JSON) continue a match for
// many tokens; free text rarely finds one and then costs nothing but the search.
import type { Token } from '../model/node-llama-cpp.module';
import type { ResolvedSampling } from '../request/sampling-params.validator';

export type SpeculativeDraftingMode = 'off' | 'prompt_lookup';

export interface SpeculativeDraftingOptions {
  readonly mode: SpeculativeDraftingMode;
  /** Most tokens drafted per decode step. */
  readonly maxDraftTokens: number;
}

/** What a request asks of the sampler. */
export interface DraftConstraints {
  readonly sampling: ResolvedSampling;
  /** A response-format or tool grammar, or tool-call argument grammars switched in mid-answer. */
  readonly constrained: boolean;
}

/**
 * Greedy requests without a grammar or penalties draft. A draft is checked against the token the
 * model picks at each drafted position, which is only the token the request would get without the
 * draft when picking is deterministic and depends on nothing but the logits: sampling at temperature
 * > 0 would need its seeded random stream kept across verifications, a grammar state or a penalty
 * window would have to advance through the drafted tokens.
 */
export function draftable({ sampling, constrained }: DraftConstraints): boolean {
  const penalized =
    sampling.repetitionPenalty !== 1 || sampling.frequencyPenalty !== 0 || sampling.presencePenalty !== 0;
  return sampling.temperature === 0 && !constrained && !penalized;
}

/**
 * Generated tokens that must match the prompt before a draft is made: one-token matches (a comma,
 * "the") draft far more than they get accepted on free text.
 */
const MIN_PATTERN = 2;
/** Longer patterns than this rarely pick a different place in the prompt. */
const MAX_PATTERN = 4;

/** Drafts for one request from its prompt (of llama.cpp tokens; generic only so specs can use numbers). */
export class PromptLookup<T extends number = Token> {
  /** Where the last draft came from: the prompt index that follows history[historyLength - 1]. */
  private anchor: { readonly historyLength: number; readonly sourceIndex: number } | undefined;

  constructor(private readonly source: readonly T[]) {}

  /** Up to `max` tokens the prompt suggests come after `history` (the prompt and what followed it). */
  draft(history: readonly T[], max: number): T[] {
    if (max < 1) return [];
    const next = this.continuation(history) ?? this.search(history);
    if (next === undefined || next >= this.source.length) {
      this.anchor = undefined;
      return [];
    }
    this.anchor = { historyLength: history.length, sourceIndex: next };
    return this.source.slice(next, next + max);
  }

  /** The last match still holds: the tokens generated since then are the prompt's next ones. */
  private continuation(history: readonly T[]): number | undefined {
    if (this.anchor === undefined) return undefined;
    const next = this.anchor.sourceIndex + history.length - this.anchor.historyLength;
    if (next > this.source.length) return undefined;
    return this.endsWith(history, next, MIN_PATTERN) ? next : undefined;
  }

  /** The latest place in the prompt that the longest possible tail of `history` matches. */
  private search(history: readonly T[]): number | undefined {
    for (let n = Math.min(MAX_PATTERN, history.length); n >= MIN_PATTERN; n--) {
      // A match must leave at least one prompt token after it to draft.
      for (let end = this.source.length - 1; end >= n; end--) {
        if (this.endsWith(history, end, n)) return end;
      }
    }
    return undefined;
  }

  /** Whether the last `n` tokens of `history` equal the prompt tokens just before `end`. */
  private endsWith(history: readonly T[], end: number, n: number): boolean {
    if (end < n || history.length < n) return false;
    for (let i = 1; i <= n; i++) if (history[history.length - i] !== this.source[end - i]) return false;
    return true;
  }
}
