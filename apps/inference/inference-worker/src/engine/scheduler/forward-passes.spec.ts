import { addedPasses, forwardPasses } from './forward-passes';

const decoding = (...slots: number[]) => slots.map((slot) => ({ slot, tokens: 1 }));

describe(forwardPasses.name, () => {
  it('runs one pass for decoding slots with consecutive ids', () => {
    expect(forwardPasses(decoding(0, 1, 2, 3), 512)).toBe(1);
    expect(forwardPasses(decoding(4, 5, 6), 512)).toBe(1);
  });

  it('runs one pass per run of consecutive slot ids', () => {
    expect(forwardPasses(decoding(0, 1, 2, 5), 512)).toBe(2);
    expect(forwardPasses(decoding(0, 2, 5, 6), 512)).toBe(3);
    expect(forwardPasses(decoding(0, 2, 4, 6), 512)).toBe(4);
  });

  it('takes the same number of tokens from each sequence of a micro-batch', () => {
    // Slot 1 prefills 20 prompt tokens beside three decoding slots: one pass with a token from each,
    // then one for the 19 prompt tokens left.
    expect(forwardPasses([...decoding(0), { slot: 1, tokens: 20 }, ...decoding(2, 3)], 512)).toBe(2);
    // Two prompts of 10 and 30 tokens: 10 from each, then the last 20 alone.
    expect(
      forwardPasses(
        [
          { slot: 0, tokens: 10 },
          { slot: 1, tokens: 30 },
        ],
        512,
      ),
    ).toBe(2);
  });

  it('splits what does not fit in one micro-batch', () => {
    expect(forwardPasses([{ slot: 0, tokens: 1200 }], 512)).toBe(3);
    expect(forwardPasses([], 512)).toBe(0);
  });
});

describe(addedPasses.name, () => {
  it('counts a slot beside running ones as free, and one between two as saving a pass', () => {
    const running = new Set([2, 3, 5]);
    expect(addedPasses(7, running)).toBe(1);
    expect(addedPasses(1, running)).toBe(0);
    expect(addedPasses(6, running)).toBe(0);
    expect(addedPasses(4, running)).toBe(-1);
    expect(addedPasses(0, new Set())).toBe(1);
  });
});
