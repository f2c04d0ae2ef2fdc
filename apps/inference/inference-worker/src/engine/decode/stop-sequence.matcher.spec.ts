import { StopSequenceMatcher } from './stop-sequence.matcher';

/** Feeds deltas, returns what the client would see and whether a stop fired. */
function stream(sut: StopSequenceMatcher, deltas: string[]): { text: string; stopped: boolean } {
  let text = '';
  for (const delta of deltas) {
    const { emit, stopped } = sut.push(delta);
    text += emit;
    if (stopped) return { text, stopped };
  }
  return { text: text + sut.flush(), stopped: false };
}

describe(StopSequenceMatcher.name, () => {
  it('passes text through when there are no stop sequences', () => {
    const sut = new StopSequenceMatcher([]);
    expect(sut.push('Hello')).toEqual({ emit: 'Hello', stopped: false });
  });

  it('stops before a stop sequence inside one delta and never emits it', () => {
    const sut = new StopSequenceMatcher(['END']);
    expect(stream(sut, ['one two END three'])).toEqual({ text: 'one two ', stopped: true });
  });

  it('catches a stop sequence split across deltas', () => {
    const sut = new StopSequenceMatcher(['</answer>']);
    expect(stream(sut, ['42 </an', 'swer> trailing'])).toEqual({ text: '42 ', stopped: true });
  });

  it('holds back a possible prefix and releases it when it does not complete', () => {
    const sut = new StopSequenceMatcher(['\n\nUser:']);
    expect(sut.push('line\n')).toEqual({ emit: 'line', stopped: false });
    expect(sut.push('\nUse')).toEqual({ emit: '', stopped: false });
    expect(sut.push('d it')).toEqual({ emit: '\n\nUsed it', stopped: false });
  });

  it('releases a held prefix at the end of generation', () => {
    const sut = new StopSequenceMatcher(['STOP']);
    expect(stream(sut, ['the end ST'])).toEqual({ text: 'the end ST', stopped: false });
  });

  it('stops at the earliest of several stop sequences', () => {
    const sut = new StopSequenceMatcher(['b', 'cd', 'a']);
    expect(stream(sut, ['xxcdxbxa'])).toEqual({ text: 'xx', stopped: true });
  });
});
