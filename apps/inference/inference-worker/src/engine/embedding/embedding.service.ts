// Owns embeddings: a separate embedding context on the same model, created on first use (most
// workers never embed, and the context costs memory), used by one request at a time.
import { InvalidRequestError } from '../engine.errors';
import { FIELD } from '../generation.types';
import type { LlamaEmbeddingContext, LlamaModel } from '../model/node-llama-cpp.module';

export interface EmbeddingResult {
  readonly vectors: number[][];
  /** Tokens evaluated, for metering. */
  readonly promptTokens: number;
}

export interface EmbeddingServiceOptions {
  readonly contextSize: number;
  readonly threads: number;
}

export class EmbeddingService {
  private context: Promise<LlamaEmbeddingContext> | undefined;
  /** Serializes requests on the one context. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: LlamaModel,
    private readonly options: EmbeddingServiceOptions,
  ) {}

  async embed(inputs: readonly string[]): Promise<EmbeddingResult> {
    if (!Array.isArray(inputs) || inputs.length === 0)
      throw InvalidRequestError.of(FIELD.input, 'must be a non-empty list of strings');
    // node-llama-cpp adds the model's BOS/EOS tokens to an embedding input and refuses (with a plain
    // Error, which was INTERNAL) one that then fills the context: what is left of it for the text.
    const usable = this.options.contextSize - 3;
    const tokenized = inputs.map((text, i) => {
      if (typeof text !== 'string' || text.length === 0)
        throw InvalidRequestError.of(`${FIELD.input}[${i}]`, 'must be a non-empty string');
      const tokens = this.model.tokenize(text);
      if (tokens.length > usable)
        throw InvalidRequestError.of(
          `${FIELD.input}[${i}]`,
          `is ${tokens.length} tokens; the embedding context holds ${usable}`,
        );
      return tokens;
    });
    const run = this.tail.then(async () => {
      const context = await this.getContext();
      const vectors: number[][] = [];
      for (const tokens of tokenized) vectors.push([...(await context.getEmbeddingFor(tokens)).vector]);
      return { vectors, promptTokens: tokenized.reduce((sum, t) => sum + t.length, 0) };
    });
    this.tail = run.catch(() => undefined);
    return await run;
  }

  async dispose(): Promise<void> {
    const context = this.context;
    this.context = undefined;
    if (context) await (await context).dispose();
  }

  private getContext(): Promise<LlamaEmbeddingContext> {
    this.context ??= this.model.createEmbeddingContext({
      contextSize: this.options.contextSize,
      threads: this.options.threads,
    });
    this.context.catch(() => (this.context = undefined));
    return this.context;
  }
}
