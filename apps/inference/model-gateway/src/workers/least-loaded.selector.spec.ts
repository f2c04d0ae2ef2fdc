import { LeastLoadedSelector } from './least-loaded.selector';

const load = (slotsTotal: number, busy: number) => ({ slotsTotal, busy, free: slotsTotal - busy });

describe(LeastLoadedSelector.name, () => {
  let sut: LeastLoadedSelector;

  beforeEach(() => {
    sut = new LeastLoadedSelector();
  });

  it('picks the worker with the most free slots', () => {
    const picked = sut.pick([
      { item: 'a', load: load(4, 3) },
      { item: 'b', load: load(4, 1) },
      { item: 'c', load: load(2, 1) },
    ]);

    expect(picked).toBe('b');
  });

  it('prefers the bigger worker when free slots are equal', () => {
    expect(
      sut.pick([
        { item: 'small', load: load(2, 1) },
        { item: 'big', load: load(8, 7) },
      ]),
    ).toBe('small');
    expect(
      sut.pick([
        { item: 'small', load: load(2, 0) },
        { item: 'big', load: load(4, 2) },
      ]),
    ).toBe('small');
    expect(
      sut.pick([
        { item: 'small', load: load(1, 0) },
        { item: 'big', load: load(3, 2) },
      ]),
    ).toBe('small');
    expect(
      sut.pick([
        { item: 'big', load: load(4, 3) },
        { item: 'small', load: load(2, 1) },
      ]),
    ).toBe('small');
  });

  it('sends to the shortest queue when every worker is full', () => {
    expect(
      sut.pick([
        { item: 'a', load: load(4, 9) },
        { item: 'b', load: load(4, 6) },
      ]),
    ).toBe('b');
  });

  it('takes turns between equally loaded workers', () => {
    const candidates = [
      { item: 'a', load: load(4, 0) },
      { item: 'b', load: load(4, 0) },
    ];

    const picks = Array.from({ length: 4 }, () => sut.pick(candidates));

    expect(picks).toEqual(['a', 'b', 'a', 'b']);
  });

  it('spreads a burst by free slots when loads are updated between picks', () => {
    const workers = { a: load(3, 0), b: load(1, 0) };
    const picks: string[] = [];
    for (let i = 0; i < 4; i++) {
      const picked = sut.pick(Object.entries(workers).map(([item, l]) => ({ item, load: l })));
      if (!picked) throw new Error('nothing picked');
      picks.push(picked);
      const current = workers[picked as 'a' | 'b'];
      workers[picked as 'a' | 'b'] = load(current.slotsTotal, current.busy + 1);
    }

    expect(picks.filter((p) => p === 'a')).toHaveLength(3);
    expect(picks.filter((p) => p === 'b')).toHaveLength(1);
  });

  it('returns nothing when there is no candidate', () => {
    expect(sut.pick([])).toBeUndefined();
  });
});
