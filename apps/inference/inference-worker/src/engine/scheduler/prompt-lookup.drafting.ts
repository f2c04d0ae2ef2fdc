// Owns speculative decoding by prompt lookup: each slot's sequence gets node-llama-cpp's
// InputLookupTokenPredictor, which drafts the tokens that followed the latest generated n-gram in the
// prompt; the target model checks the draft in the same llama_decode as the next token and keeps the
// longest prefix it would have sampled itself, so greedy output is unchanged. It pays when answers
// copy from their context (grounded quotes, code edits, JSON) and costs a few extra batch rows when
// they do not. Drafting is per sequence, so slots still decode together in one batch.
import type {
  LlamaContextSequence,
  NodeLlamaCpp,
  Token,
  TokenPredictor,
} from '../model/node-llama-cpp.module';
import type { ResolvedSampling } from '../request/sampling-params.validator';

export type SpeculativeDraftingMode = 'off' | 'prompt_lookup';

export interface SpeculativeDraftingOptions {
  readonly mode: SpeculativeDraftingMode;
  /** Most tokens drafted per decode step. */
  readonly maxDraftTokens: number;
}

/**
 * Generated tokens that must match the prompt before a draft is made: one-token matches (a comma, "the")
 * draft far more than they get accepted on free text.
 */
const MIN_PATTERN_TOKENS = 2;

/** The predictor a slot's sequence is created with; undefined when drafting is off. */
export function createSlotPredictor(
  llamaCpp: NodeLlamaCpp,
  options: SpeculativeDraftingOptions,
): TokenPredictor | undefined {
  if (options.mode === 'off') return undefined;
  return new llamaCpp.InputLookupTokenPredictor({
    patternLength: { min: MIN_PATTERN_TOKENS },
    predictionLength: { min: 1, max: options.maxDraftTokens },
  });
}

/** What a request asks of the sampler that a draft would bypass. */
export interface DraftConstraints {
  readonly sampling: ResolvedSampling;
  /** A response-format or tool grammar, or tool-call argument grammars switched in mid-answer. */
  readonly constrained: boolean;
}

/**
 * node-llama-cpp samples a draft's positions with the grammar and penalty window of the step that
 * drafted them (they do not advance with the drafted tokens), so requests that use either decode
 * without a draft: correct first, fast where it is safe.
 */
export function draftable({ sampling, constrained }: DraftConstraints): boolean {
  const penalized =
    sampling.repetitionPenalty !== 1 || sampling.frequencyPenalty !== 0 || sampling.presencePenalty !== 0;
  return !constrained && !penalized;
}

/**
 * Points the slot's predictor at this request's prompt (the text drafts are copied from), or at
 * nothing, which makes every step an ordinary one-token decode.
 */
export function aimPredictor(sequence: LlamaContextSequence, prompt: readonly Token[] | undefined): void {
  sequence.tokenPredictor?.updateInputTokens(prompt ? [...prompt] : []);
}

export interface DraftTally {
  /** Drafted tokens the target model evaluated. */
  readonly proposed: number;
  /** Of those, the ones it would have generated itself. */
  readonly accepted: number;
}

/** The sequence's lifetime draft counters; a request's share is the difference across its run. */
export function draftTally(sequence: LlamaContextSequence): DraftTally {
  const { validated, refuted } = sequence.tokenPredictions;
  return { proposed: validated + refuted, accepted: validated };
}
