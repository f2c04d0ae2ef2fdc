import { ResolvedSampling } from '../request/sampling-params.validator';
import { draftable, PromptLookup } from './prompt-lookup.drafting';

const sampling: ResolvedSampling = {
  temperature: 0,
  topP: 1,
  topK: 0,
  minP: 0,
  seed: 7,
  repetitionPenalty: 1,
  frequencyPenalty: 0,
  presencePenalty: 0,
  maxTokens: undefined,
  stop: [],
};

describe(draftable.name, () => {
  it('drafts for greedy requests without a grammar or penalties', () => {
    expect(draftable({ sampling, constrained: false })).toBe(true);
  });

  it('never drafts when sampling: verification would restart the seeded random stream', () => {
    expect(draftable({ sampling: { ...sampling, temperature: 0.8 }, constrained: false })).toBe(false);
  });

  it('never drafts under a grammar: drafted positions would be picked without it advancing', () => {
    expect(draftable({ sampling, constrained: true })).toBe(false);
  });

  it.each([
    ['repetition', { repetitionPenalty: 1.1 }],
    ['frequency', { frequencyPenalty: 0.5 }],
    ['presence', { presencePenalty: -0.5 }],
  ])('never drafts with a %s penalty: its window would miss the drafted tokens', (_, penalty) => {
    expect(draftable({ sampling: { ...sampling, ...penalty }, constrained: false })).toBe(false);
  });
});

describe(PromptLookup.name, () => {
  //               0  1  2  3  4  5  6  7  8  9
  const prompt = [10, 11, 12, 13, 14, 15, 16, 20, 21, 22];

  it('drafts what followed the generated tail in the prompt', () => {
    const sut = new PromptLookup<number>(prompt);
    expect(sut.draft([...prompt, 12, 13], 3)).toEqual([14, 15, 16]);
  });

  it('drafts nothing for a tail the prompt does not hold, or a one-token match', () => {
    const sut = new PromptLookup<number>(prompt);
    expect(sut.draft([...prompt, 99, 98], 3)).toEqual([]);
    expect(sut.draft([...prompt, 99, 13], 3)).toEqual([]);
  });

  it('never drafts past the prompt, nor more than asked', () => {
    const sut = new PromptLookup<number>(prompt);
    expect(sut.draft([...prompt, 20, 21], 8)).toEqual([22]);
    expect(sut.draft([...prompt, 11, 12], 1)).toEqual([13]);
    expect(sut.draft([...prompt, 11, 12], 0)).toEqual([]);
  });

  it('prefers the longest matching tail, then the latest place', () => {
    const repeated = [1, 2, 3, 7, 9, 2, 3, 8, 1, 2, 3, 6];
    const sut = new PromptLookup<number>(repeated);
    // "2 3" occurs three times; "1 2 3" twice: the latest of those is followed by 6.
    expect(sut.draft([...repeated, 5, 1, 2, 3], 1)).toEqual([6]);
    expect(new PromptLookup<number>(repeated).draft([...repeated, 5, 2, 3], 1)).toEqual([6]);
  });

  it('continues the place it drafted from while the answer keeps copying it', () => {
    const repeated = [1, 2, 3, 4, 5, 6, 9, 1, 2, 3, 7];
    const sut = new PromptLookup<number>(repeated);
    // The latest "2 3" is followed by 7; an answer copying the first one continues there.
    expect(sut.draft([...repeated, 0, 1, 2], 2)).toEqual([3, 7]);
    const history = [...repeated, 0, 1, 2, 3, 4];
    expect(new PromptLookup<number>(repeated).draft(history, 2)).toEqual([5, 6]);
    expect(sut.draft([...repeated, 0, 1, 2, 3, 7], 2)).toEqual([]);
  });
});
