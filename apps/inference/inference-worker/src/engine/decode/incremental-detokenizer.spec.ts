import type { Token } from '../model/node-llama-cpp.module';
import { IncrementalDetokenizer } from './incremental-detokenizer';

// A byte-level tokenizer: each token is one UTF-8 byte, as byte-fallback pieces are in SentencePiece
// vocabularies. Decoding uses the platform's real UTF-8 decoder.
const bytesOf = (text: string): Token[] => [...Buffer.from(text, 'utf8')] as Token[];
const decodeBytes = (tokens: readonly Token[]): string => Buffer.from(tokens).toString('utf8');

describe(IncrementalDetokenizer.name, () => {
  it('emits ASCII token by token', () => {
    const sut = new IncrementalDetokenizer((tokens) => decodeBytes(tokens));
    expect(bytesOf('hi!').map((t) => sut.push(t))).toEqual(['h', 'i', '!']);
  });

  it('holds the bytes of a multi-byte character until it is complete', () => {
    const sut = new IncrementalDetokenizer((tokens) => decodeBytes(tokens));
    const deltas = bytesOf('a€😀').map((t) => sut.push(t));
    expect(deltas).toEqual(['a', '', '', '€', '', '', '', '😀']);
    expect(deltas.join('')).toBe('a€😀');
  });

  it('flushes an incomplete character at the end instead of losing it', () => {
    const sut = new IncrementalDetokenizer((tokens) => decodeBytes(tokens));
    const euro = bytesOf('€');
    expect(sut.push(euro[0])).toBe('');
    expect(sut.flush()).toBe('\uFFFD');
    expect(sut.flush()).toBe('');
  });

  it('gives up holding after 4 tokens of invalid bytes', () => {
    const sut = new IncrementalDetokenizer((tokens) => decodeBytes(tokens));
    const deltas = ([0xff, 0xff, 0xff, 0xff] as Token[]).map((t) => sut.push(t));
    expect(deltas.slice(0, 3)).toEqual(['', '', '']);
    expect(deltas[3]).toBe('\uFFFD'.repeat(4));
  });

  it('passes the preceding tokens as context to the tokenizer', () => {
    const seen: number[][] = [];
    const sut = new IncrementalDetokenizer((tokens, last) => {
      seen.push([...last]);
      return decodeBytes(tokens);
    });
    bytesOf('abcdef').forEach((t) => sut.push(t));
    expect(seen[0]).toEqual([]);
    expect(seen[5]).toEqual(bytesOf('bcde'));
  });
});
