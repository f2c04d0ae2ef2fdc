import { BranchRegistry, type KeyValueStore } from './branch-registry';

class MemoryStore implements KeyValueStore {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe(BranchRegistry.name, () => {
  let store: MemoryStore;
  let sut: BranchRegistry;
  let clock = 0;
  const fork = (id: string, parent: string, forkIndex: number) =>
    sut.add({ id, parent, forkIndex, createdAt: ++clock });

  beforeEach(() => {
    store = new MemoryStore();
    sut = new BranchRegistry(store, 'k');
  });

  it('lists the versions of a message: the original, then branches forked there, in order', () => {
    fork('b', 'a', 1); // regenerate answer 1 of a
    fork('c', 'a', 1); // again
    fork('d', 'b', 1); // regenerate the regenerated one

    expect(sut.siblings('a', 1)).toEqual(['a', 'b', 'c', 'd']);
    expect(sut.siblings('d', 1)).toEqual(['a', 'b', 'c', 'd']);
    expect(sut.siblings('a', 0)).toEqual(['a']);
  });

  it('sees a message a branch copied from its parent as the parent’s, with the parent’s versions', () => {
    fork('b', 'a', 2); // edit message 2 of a
    fork('c', 'b', 4); // later, regenerate answer 4 of b

    expect(sut.siblings('c', 2)).toEqual(['a', 'b']);
    expect(sut.siblings('c', 4)).toEqual(['b', 'c']);
    expect(sut.siblings('c', 0)).toEqual(['a']);
    expect(sut.root('c')).toBe('a');
    expect(sut.family('a').sort()).toEqual(['a', 'b', 'c']);
  });

  it('keeps the tree across reloads, and survives a damaged entry', () => {
    fork('b', 'a', 1);

    expect(new BranchRegistry(store, 'k').siblings('a', 1)).toEqual(['a', 'b']);
    store.setItem('k', '{not json');
    expect(new BranchRegistry(store, 'k').siblings('a', 1)).toEqual(['a']);
  });

  it('re-hangs the branches of a removed conversation on its parent', () => {
    fork('b', 'a', 1);
    fork('c', 'b', 3);

    sut.remove('b');

    expect(sut.isBranch('b')).toBe(false);
    expect(sut.parentOf('c')).toBe('a');
    expect(sut.siblings('a', 1)).toEqual(['a', 'c']);
  });
});
