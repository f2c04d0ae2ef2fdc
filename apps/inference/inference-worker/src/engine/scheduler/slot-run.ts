// Owns one request's life inside a slot: which prompt tokens are still to be prefilled, the
// node-llama-cpp generator that samples its tokens (or, for a request that drafts, the verifier that
// yields several per decode), and turning those tokens into client text
// (incremental UTF-8, stop sequences, stop tokens, max_tokens). The scheduler decides when it runs.
import { CallArgumentsGuide } from '../decode/call-arguments.guide';
import { IncrementalDetokenizer } from '../decode/incremental-detokenizer';
import { StopSequenceMatcher } from '../decode/stop-sequence.matcher';
import { FinishReason } from '../generation.types';
import type {
  EvaluationPriority,
  LlamaContextSequence,
  LlamaGrammarEvaluationState,
  LlamaModel,
  NodeLlamaCpp,
  SequenceEvaluateOptions,
  Token,
} from '../model/node-llama-cpp.module';
import type { PreparedJob } from './batch.scheduler';
import { DraftVerifier } from './draft.verifier';
import type { DraftTally } from './engine.metrics';
import { draftable, SpeculativeDraftingOptions } from './prompt-lookup.drafting';
import { batchOrderOf } from './slot-ordered-batch';

export type StepOutcome =
  | { readonly kind: 'prefilled' }
  /** One sampled token, or several verified in one decode (speculative decoding). */
  | { readonly kind: 'tokens'; readonly tokens: readonly Token[] }
  | { readonly kind: 'ended' };

/** What a sampled token means for the request: text to send, and whether it is over. */
export interface TokenVerdict {
  readonly emit: string;
  readonly finish?: FinishReason;
  /** The stop was a stop sequence: the held-back text after it is dropped, not flushed. */
  readonly stopSequenceHit?: boolean;
}

const PREFILLED: StepOutcome = { kind: 'prefilled' };
const ENDED: StepOutcome = { kind: 'ended' };
/** Tokens the repetition penalties look back over (llama-server's repeat_last_n). */
const PENALTY_WINDOW = 64;

export class SlotRun {
  readonly generated: Token[] = [];
  readonly admittedAt = Date.now();
  firstTokenAt: number | undefined;
  cancelRequested = false;
  /** How many of `generated` were already reported in a delta. */
  tokensReported = 0;
  /** Prompt tokens not yet evaluated. */
  private readonly pending: Token[];
  private generator: AsyncGenerator<Token, void, void | Token | Token[]> | undefined;
  /** Speculative decoding: set when this request drafts; it then replaces the generator. */
  private readonly verifier: DraftVerifier | undefined;
  private started = false;
  /** The last verified token: evaluated by the next verification. */
  private lastVerified: Token | undefined;
  /** A verification reached the end-of-generation token. */
  private verifiedEnd = false;
  private readonly detokenizer: IncrementalDetokenizer;
  private readonly stopMatcher: StopSequenceMatcher;
  private readonly grammarState: LlamaGrammarEvaluationState | undefined;
  /** tool_choice auto: switches to a tool's grammar while its call's arguments are generated. */
  private readonly callGuide: CallArgumentsGuide | undefined;
  private readonly batchOrder: EvaluationPriority;

  constructor(
    readonly job: PreparedJob,
    private readonly sequence: LlamaContextSequence,
    slotIndex: number,
    /** Prompt tokens whose KV state the slot already held. */
    readonly cachedPromptTokens: number,
    private readonly model: LlamaModel,
    llamaCpp: NodeLlamaCpp,
    drafting: SpeculativeDraftingOptions,
  ) {
    this.pending = job.promptTokens.slice(cachedPromptTokens);
    // Not a priority: slotOrderedBatch orders a decode's items by it (slot order, which llama.cpp
    // needs to keep one forward pass per decode). node-llama-cpp passes it through untouched.
    this.batchOrder = batchOrderOf(slotIndex);
    this.detokenizer = new IncrementalDetokenizer((tokens, last) => model.detokenize(tokens, false, last));
    this.stopMatcher = new StopSequenceMatcher([...job.sampling.stop, ...job.stopStrings]);
    this.grammarState =
      job.grammar && new llamaCpp.LlamaGrammarEvaluationState({ model, grammar: job.grammar });
    this.callGuide =
      job.callArguments &&
      new CallArgumentsGuide(
        job.callArguments,
        (grammar) => new llamaCpp.LlamaGrammarEvaluationState({ model, grammar }),
      );
    const constrained = job.grammar !== undefined || job.callArguments !== undefined;
    this.verifier =
      drafting.mode === 'prompt_lookup' && draftable({ sampling: job.sampling, constrained })
        ? new DraftVerifier(sequence, model, job.promptTokens, drafting.maxDraftTokens, this.batchOrder)
        : undefined;
  }

  /** Tokens drafted for this request and how many of them the model kept (zero when it did not draft). */
  get drafts(): DraftTally {
    return this.verifier?.tally ?? { proposed: 0, accepted: 0 };
  }

  /** True once the prompt is in and tokens are being sampled. */
  get decoding(): boolean {
    return this.started;
  }

  /**
   * Starts this step's work: the next prompt chunk, or evaluating the last token and sampling the
   * next. It calls into the context synchronously (no await before it), so the scheduler can issue
   * every slot's work in the same tick and node-llama-cpp puts it all in one batch.
   */
  advance(chunk: number): Promise<StepOutcome> {
    if (!this.started) {
      if (this.pending.length > chunk) {
        return this.sequence
          .evaluateWithoutGeneratingNewTokens(this.pending.splice(0, chunk), {
            evaluationPriority: this.batchOrder,
          })
          .then(() => PREFILLED);
      }
      this.started = true;
      if (this.verifier) return this.verify(this.pending.splice(0));
      // The last prompt chunk starts generation. The generator keeps one sampler (so one RNG
      // stream for the seed, one grammar state, one penalty window) for the whole request.
      this.generator = this.sequence.evaluate(this.pending.splice(0), this.samplerOptions());
    }
    if (this.verifier) return this.verifiedEnd ? Promise.resolve(ENDED) : this.verify([this.lastVerified!]);
    return this.generator!.next().then((r) => (r.done ? ENDED : { kind: 'tokens', tokens: [r.value] }));
  }

  /**
   * One verification: the tokens it generated, up to an end-of-generation token, which then ends the
   * request at the next step (as it ends node-llama-cpp's generator).
   */
  private async verify(input: Token[]): Promise<StepOutcome> {
    const generated = await this.verifier!.verify(input);
    const end = generated.findIndex((token) => this.model.isEogToken(token));
    const tokens = end === -1 ? generated : generated.slice(0, end);
    this.verifiedEnd = end !== -1;
    this.lastVerified = generated.at(-1);
    return tokens.length === 0 ? ENDED : { kind: 'tokens', tokens };
  }

  accept(token: Token): TokenVerdict {
    this.firstTokenAt ??= Date.now();
    if (this.job.stopTokens.has(token)) return { emit: '', finish: 'stop' };
    this.generated.push(token);
    const { emit, stopped } = this.stopMatcher.push(this.detokenizer.push(token));
    // Before the next token is sampled: it may have to follow a call's argument grammar.
    this.callGuide?.push(emit);
    if (stopped) return { emit, finish: 'stop', stopSequenceHit: true };
    if (this.generated.length >= this.job.maxTokens) return { emit, finish: 'length' };
    return { emit };
  }

  /** Text still held back when generation ends for a reason other than a stop sequence. */
  flushTail(): string {
    const tail = this.stopMatcher.push(this.detokenizer.flush());
    return tail.stopped ? tail.emit : tail.emit + this.stopMatcher.flush();
  }

  /**
   * Returning the generator disposes its sampler. The KV state (the prompt and all but the last
   * sampled token) stays in the sequence for the next request's prefix.
   */
  async close(): Promise<void> {
    await this.generator?.return().catch(() => undefined);
  }

  private samplerOptions(): SequenceEvaluateOptions {
    const s = this.job.sampling;
    const penalize = s.repetitionPenalty !== 1 || s.frequencyPenalty !== 0 || s.presencePenalty !== 0;
    const prompt = this.job.promptTokens;
    return {
      evaluationPriority: this.batchOrder,
      temperature: s.temperature,
      topK: s.topK,
      topP: s.topP,
      minP: s.minP,
      seed: s.seed,
      // Read at every sample, so a call's argument grammar applies from the token after its opening.
      grammarEvaluationState: this.callGuide
        ? () => this.callGuide?.evaluationState ?? this.grammarState
        : this.grammarState,
      repeatPenalty: penalize
        ? {
            punishTokens: () => [...prompt.slice(-PENALTY_WINDOW), ...this.generated].slice(-PENALTY_WINDOW),
            maxPunishTokens: PENALTY_WINDOW,
            penalty: s.repetitionPenalty,
            frequencyPenalty: s.frequencyPenalty,
            presencePenalty: s.presencePenalty,
          }
        : undefined,
    };
  }
}
