import { CacheAwareSelector } from './cache-aware.selector';

const worker = (item: string, slotsTotal: number, busy: number, matchedBlocks: number) => ({
  item,
  load: { slotsTotal, busy, free: slotsTotal - busy },
  matchedBlocks,
});

describe(CacheAwareSelector.name, () => {
  let sut: CacheAwareSelector;

  beforeEach(() => {
    sut = new CacheAwareSelector();
  });

  it('sends the request to the worker holding the longest prefix', () => {
    expect(sut.pick([worker('a', 4, 0, 2), worker('b', 4, 1, 5), worker('c', 4, 0, 0)], 2)).toEqual({
      item: 'b',
      reason: 'cache',
    });
  });

  it('routes least-loaded when no worker holds any of the prefix', () => {
    expect(sut.pick([worker('a', 4, 3, 0), worker('b', 4, 1, 0)], 2)).toEqual({
      item: 'b',
      reason: 'least_loaded',
    });
  });

  it('overflows to the least-loaded worker when the holder is more than the bound busier', () => {
    const candidates = [worker('hot', 4, 3, 9), worker('cold', 4, 0, 0)];

    expect(sut.pick(candidates, 2)).toEqual({ item: 'cold', reason: 'overflow' });
    expect(sut.pick(candidates, 3)).toEqual({ item: 'hot', reason: 'cache' });
  });

  it('with a bound of 0 follows the cache only to a worker as free as the least-loaded one', () => {
    expect(sut.pick([worker('hot', 4, 1, 9), worker('cold', 4, 0, 0)], 0)).toEqual({
      item: 'cold',
      reason: 'overflow',
    });
    expect(sut.pick([worker('hot', 4, 0, 9), worker('cold', 4, 0, 0)], 0)).toEqual({
      item: 'hot',
      reason: 'cache',
    });
  });

  it('breaks a tie in matched blocks by free slots', () => {
    expect(sut.pick([worker('a', 4, 2, 3), worker('b', 4, 1, 3), worker('c', 4, 0, 0)], 2)?.item).toBe('b');
  });

  it('returns nothing without candidates', () => {
    expect(sut.pick([], 2)).toBeUndefined();
  });
});
