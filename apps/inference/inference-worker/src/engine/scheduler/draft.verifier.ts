// Owns the verifying half of speculative decoding for one request: each step evaluates the last
// token together with a prompt-lookup draft in ONE llama_decode (issued synchronously, so it shares
// the batch with the other slots' work), takes the model's greedy pick at every position, keeps the
// drafted tokens up to the first one the model would not have picked, and erases the rest from the
// sequence's KV cache. The tokens it returns are exactly those plain greedy decoding would produce.
// node-llama-cpp's own token-predictor path is not used: in 3.22 it validates at most one drafted
// token per decode (the rest are always refuted), which made drafting slower than none.
import type {
  EvaluationPriority,
  LlamaContextSequence,
  LlamaModel,
  Token,
} from '../model/node-llama-cpp.module';
import type { DraftTally } from './engine.metrics';
import { PromptLookup } from './prompt-lookup.drafting';

const GREEDY = { generateNext: { token: true, options: { temperature: 0 } } };

export class DraftVerifier {
  private proposed = 0;
  private accepted = 0;
  private readonly lookup: PromptLookup;
  /** The prompt and every token generated so far: what drafts are matched against. */
  private readonly history: Token[];

  constructor(
    private readonly sequence: LlamaContextSequence,
    private readonly model: LlamaModel,
    prompt: readonly Token[],
    private readonly maxDraftTokens: number,
    private readonly batchOrder: EvaluationPriority,
  ) {
    this.lookup = new PromptLookup(prompt);
    this.history = [...prompt];
  }

  get tally(): DraftTally {
    return { proposed: this.proposed, accepted: this.accepted };
  }

  /**
   * Evaluates `input` (the prompt's last chunk, or the last generated token) and a draft; resolves
   * to the tokens the model generates next, at least one. Calls into the context before its first
   * await, so the scheduler's step batches it with the other slots.
   */
  async verify(input: readonly Token[]): Promise<Token[]> {
    const start = this.sequence.nextTokenIndex;
    // One position stays free, as for plain decoding: the last generated token is not evaluated.
    const room = this.sequence.contextSize - 1 - start - input.length;
    const draft = this.lookup.draft(this.history, Math.min(this.maxDraftTokens, room));
    const last = input.length - 1;
    const outputs = await this.sequence.controlledEvaluate(
      [
        ...input.slice(0, last),
        ...[input[last], ...draft].map((token): [Token, typeof GREEDY] => [token, GREEDY]),
      ],
      { evaluationPriority: this.batchOrder },
    );
    const pick = (index: number): Token => {
      const token = outputs[index]?.next.token;
      if (token === undefined || token === null) throw new Error('llama.cpp returned no token');
      return token;
    };
    const generated = [pick(last)];
    let kept = 0;
    while (
      kept < draft.length &&
      draft[kept] === generated[kept] &&
      !this.model.isEogToken(generated[kept])
    ) {
      kept++;
      generated.push(pick(last + kept));
    }
    this.proposed += draft.length;
    this.accepted += kept;
    if (kept < draft.length) {
      const from = start + input.length + kept;
      await this.sequence.eraseContextTokenRanges([{ start: from, end: from + draft.length - kept }]);
    }
    this.history.push(...generated);
    return generated;
  }
}
