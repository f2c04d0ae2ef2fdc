import type { Token } from '../model/node-llama-cpp.module';
import { choosePrefixSlot, commonPrefixLength, SlotCandidate } from './prefix-slot.selector';

// Token ids are branded numbers in node-llama-cpp's types.
const t = (ids: number[]): Token[] => ids as Token[];

const slot = (
  index: number,
  cachedTokens: number[],
  salt: string | undefined | null,
  lastUsedAt = 0,
): SlotCandidate => ({ index, cachedTokens: t(cachedTokens), salt, lastUsedAt });

describe(choosePrefixSlot.name, () => {
  const prompt = t([1, 2, 3, 4, 5, 6]);

  it('picks the slot sharing the longest prefix', () => {
    const free = [slot(0, [1, 2, 9], undefined), slot(1, [1, 2, 3, 4, 7], undefined), slot(2, [], null)];
    expect(choosePrefixSlot(free, prompt, undefined)).toEqual({ index: 1, sharedPrefix: 4 });
  });

  it('does not share a prefix across cache salts', () => {
    const free = [slot(0, [1, 2, 3, 4, 5], 'tenant-a', 5), slot(1, [], null, 9)];
    expect(choosePrefixSlot(free, prompt, 'tenant-b')).toEqual({ index: 0, sharedPrefix: 0 });
    expect(choosePrefixSlot(free, prompt, 'tenant-a')).toEqual({ index: 0, sharedPrefix: 5 });
    expect(choosePrefixSlot(free, prompt, undefined)?.sharedPrefix).toBe(0);
  });

  it('breaks ties by least recent use, keeping warm caches for later', () => {
    const free = [slot(0, [8], undefined, 30), slot(1, [9], undefined, 10), slot(2, [7], undefined, 20)];
    expect(choosePrefixSlot(free, prompt, undefined)).toEqual({ index: 1, sharedPrefix: 0 });
  });

  it("keeps a long conversation's cache from a request that shares only its first tokens", () => {
    const conversation = [1, 2, ...Array.from({ length: 98 }, (_, i) => 100 + i)];
    const free = [slot(0, conversation, undefined, 50), slot(1, [9, 9, 9], undefined, 10)];
    // A background request with the same system prompt (tokens 1, 2) goes to the other slot...
    expect(choosePrefixSlot(free, prompt, undefined)).toEqual({ index: 1, sharedPrefix: 0 });
    // ...and the conversation's next turn, which continues all of it, gets its own slot back.
    expect(choosePrefixSlot(free, t([...conversation, 7, 8]), undefined)).toEqual({
      index: 0,
      sharedPrefix: 100,
    });
  });

  it('keeps what a least recently used slot shares when no slot is similar enough', () => {
    const free = [slot(0, [1, 2, 50, 51, 52, 53], undefined, 10), slot(1, [8, 8, 8], undefined, 20)];
    expect(choosePrefixSlot(free, prompt, undefined)).toEqual({ index: 0, sharedPrefix: 2 });
  });

  it('takes a slot beside the running ones before one that costs every step another forward pass', () => {
    // Slots 2 and 3 are generating; 7 is the least recently used, but 1 and 4 join their micro-batch.
    const free = [
      slot(0, [9], undefined, 5),
      slot(1, [9], undefined, 30),
      slot(4, [9], undefined, 20),
      slot(7, [9], undefined, 1),
    ];
    expect(choosePrefixSlot(free, prompt, undefined, new Set([2, 3]))).toEqual({ index: 4, sharedPrefix: 0 });
    // With nothing running, the least recently used.
    expect(choosePrefixSlot(free, prompt, undefined, new Set())).toEqual({ index: 7, sharedPrefix: 0 });
    // A slot whose cache the prompt continues still wins, wherever it is.
    const conversation = [slot(7, [1, 2, 3, 4], undefined, 1), slot(4, [9], undefined, 20)];
    expect(choosePrefixSlot(conversation, prompt, undefined, new Set([2, 3]))).toEqual({
      index: 7,
      sharedPrefix: 4,
    });
  });

  it('returns undefined when no slot is free', () => {
    expect(choosePrefixSlot([], prompt, undefined)).toBeUndefined();
  });
});

describe(commonPrefixLength.name, () => {
  it('counts equal leading tokens', () => {
    expect(commonPrefixLength(t([1, 2, 3]), t([1, 2, 4]))).toBe(2);
    expect(commonPrefixLength(t([1, 2]), t([1, 2, 3]))).toBe(2);
    expect(commonPrefixLength(t([]), t([1]))).toBe(0);
  });
});
