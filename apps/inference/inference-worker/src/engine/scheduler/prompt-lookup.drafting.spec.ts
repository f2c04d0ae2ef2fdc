import { ResolvedSampling } from '../request/sampling-params.validator';
import { draftable } from './prompt-lookup.drafting';

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
  it('drafts for plain sampling, greedy or not', () => {
    expect(draftable({ sampling, constrained: false })).toBe(true);
    expect(draftable({ sampling: { ...sampling, temperature: 0.8 }, constrained: false })).toBe(true);
  });

  it('never drafts under a grammar: drafted positions would be sampled without it advancing', () => {
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
