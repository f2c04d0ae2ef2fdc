// Owns turning a stream of sampled tokens into text deltas. A character can span several tokens
// (byte-fallback pieces of multi-byte UTF-8), so a delta whose text ends in U+FFFD is held until the
// next token completes it. Tokens are decoded with a few preceding tokens as context, which lets
// the tokenizer apply its leading-space rules as it would on the whole text.
import type { Token } from '../model/node-llama-cpp.module';

export type Detokenize = (tokens: readonly Token[], lastTokens: readonly Token[]) => string;

const REPLACEMENT = '\uFFFD';
/** A UTF-8 character is at most 4 bytes, so at most 4 byte tokens; beyond that it really is invalid. */
const MAX_HELD_TOKENS = 4;
const CONTEXT_TOKENS = 4;

export class IncrementalDetokenizer {
  private readonly tokens: Token[] = [];
  private emitted = 0;

  constructor(private readonly detokenize: Detokenize) {}

  /** Adds a token; returns the text it completes (possibly empty while a character is split). */
  push(token: Token): string {
    this.tokens.push(token);
    const text = this.decodePending();
    if (text.endsWith(REPLACEMENT) && this.tokens.length - this.emitted < MAX_HELD_TOKENS) return '';
    this.emitted = this.tokens.length;
    return text;
  }

  /** Whatever is still held (an incomplete character at the end of generation). */
  flush(): string {
    if (this.emitted === this.tokens.length) return '';
    const text = this.decodePending();
    this.emitted = this.tokens.length;
    return text;
  }

  private decodePending(): string {
    const context = this.tokens.slice(Math.max(0, this.emitted - CONTEXT_TOKENS), this.emitted);
    return this.detokenize(this.tokens.slice(this.emitted), context);
  }
}
