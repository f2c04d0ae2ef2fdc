import { TextDeltaCoalescer } from './text-delta.coalescer';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe(TextDeltaCoalescer.name, () => {
  let written: string[];
  let sut: TextDeltaCoalescer;

  beforeEach(() => {
    written = [];
    sut = new TextDeltaCoalescer((text) => written.push(text));
  });

  it('writes deltas that arrive in one turn of the event loop as one, in order', async () => {
    sut.push('Hel');
    sut.push('lo, ');
    sut.push('world');
    expect(written).toEqual([]);

    await nextTurn();

    expect(written).toEqual(['Hello, world']);
  });

  it('writes a delta that arrives alone on its own, without waiting for another', async () => {
    sut.push('one');
    await nextTurn();
    sut.push('two');
    await nextTurn();

    expect(written).toEqual(['one', 'two']);
  });

  it('flush writes what is pending at once, and nothing twice', async () => {
    sut.push('the last ');
    sut.push('words');
    sut.flush();
    expect(written).toEqual(['the last words']);

    await nextTurn();
    sut.flush();

    expect(written).toEqual(['the last words']);
  });

  it('discard drops what is pending, and the scheduled write with it', async () => {
    sut.push('never sent');
    sut.discard();
    await nextTurn();

    expect(written).toEqual([]);
  });

  it('ignores empty deltas', async () => {
    sut.push('');
    await nextTurn();

    expect(written).toEqual([]);
  });
});
