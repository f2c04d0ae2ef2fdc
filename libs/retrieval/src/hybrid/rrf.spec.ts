import type { ScoredPoint } from '../vector-store/vector-store.port';
import { reciprocalRankFusion, selectWithinBudget } from './rrf';

const hit = (id: string, text = id): ScoredPoint => ({
  id,
  score: 0,
  payload: {
    tenantId: 't',
    acl: ['*'],
    fileId: 'f',
    chunkId: id,
    position: 0,
    contentHash: '0'.repeat(64),
    text,
  },
});

describe('reciprocalRankFusion', () => {
  it('ranks a point found by both lists above points found by one', () => {
    const sut = reciprocalRankFusion([
      [hit('a'), hit('b'), hit('c')],
      [hit('d'), hit('c'), hit('a')],
    ]);
    expect(sut.map((h) => h.id)).toEqual(['a', 'c', 'd', 'b']);
    expect(sut[0].score).toBeCloseTo(1 / 61 + 1 / 63, 10);
    expect(sut[0].ranks).toEqual([1, 3]);
    expect(sut.find((h) => h.id === 'b')?.ranks).toEqual([2, undefined]);
  });

  it('counts a repeated id once per list and honours weights', () => {
    const sut = reciprocalRankFusion([[hit('a'), hit('a')], [hit('b')]], { weights: [1, 2] });
    expect(sut.map((h) => h.id)).toEqual(['b', 'a']);
    expect(sut[1].score).toBeCloseTo(1 / 61, 10);
    expect(reciprocalRankFusion([])).toEqual([]);
  });
});

describe('selectWithinBudget', () => {
  const countWords = async (texts: string[]) => texts.map((t) => t.split(' ').length);

  it('takes hits in rank order, skipping one that does not fit for smaller ones behind it', async () => {
    const hits = [
      hit('a', 'one two three'),
      hit('b', 'w '.repeat(10).trim()),
      hit('c', 'four five'),
      hit('d', 'six'),
    ];
    const sut = await selectWithinBudget(hits, { topK: 3, tokenBudget: 6, countTokens: countWords });
    expect(sut.selected.map((h) => h.id)).toEqual(['a', 'c', 'd']);
    expect(sut.tokens).toBe(6);
    expect(
      (await selectWithinBudget(hits, { topK: 1, tokenBudget: 100, countTokens: countWords })).selected.map(
        (h) => h.id,
      ),
    ).toEqual(['a']);
  });
});
