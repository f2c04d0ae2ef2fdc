import { commonV1, type inferenceV1 } from '@hearth/contracts';

import { DeltaCoalescer, merged } from './delta.coalescer';

function delta(text: string, tokenIds: number[], extra: Partial<inferenceV1.GenerateResponse> = {}) {
  return {
    text,
    tokenIds,
    toolCallDeltas: [],
    finishReason: commonV1.FinishReason.FINISH_REASON_UNSPECIFIED,
    ...extra,
  } satisfies inferenceV1.GenerateResponse;
}

describe('DeltaCoalescer', () => {
  let sent: inferenceV1.GenerateResponse[];
  beforeEach(() => {
    sent = [];
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  it('sends every delta as it comes with no interval', () => {
    const sut = new DeltaCoalescer(0, (m) => sent.push(m));
    sut.push(delta('a', [1]), 0);
    sut.push(delta('b', [2]), 1);
    expect(sent.map((m) => m.text)).toEqual(['a', 'b']);
  });

  it('sends the first two deltas at once and merges the ones within the interval, in order', () => {
    const sut = new DeltaCoalescer(20, (m) => sent.push(m));
    const usage = { promptTokens: 5, completionTokens: 0, totalTokens: 5, cachedPromptTokens: 0 };
    sut.push(delta('Once', [1], { usage }), 100);
    sut.push(delta(' upon', [2]), 104);
    expect(sent).toEqual([delta('Once', [1], { usage }), delta(' upon', [2])]);
    sut.push(delta(' a', [3]), 110);
    sut.push(delta(' time', [4]), 118);
    expect(sent).toHaveLength(2);
    sut.push(delta(',', [5]), 125);
    expect(sent[2]).toEqual(delta(' a time,', [3, 4, 5]));
    expect(sent[2].usage).toBeUndefined();
  });

  it('sends what waits once the interval is up, without another delta', () => {
    const sut = new DeltaCoalescer(20, (m) => sent.push(m));
    sut.push(delta('a', [1]), performance.now());
    sut.push(delta('b', [2]), performance.now());
    sut.push(delta('c', [3]), performance.now() + 5);
    jest.advanceTimersByTime(14);
    expect(sent).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(sent.map((m) => m.text)).toEqual(['a', 'b', 'c']);
  });

  it('flushes before the end and drops what waits when the caller went away', () => {
    const flushed = new DeltaCoalescer(20, (m) => sent.push(m));
    for (const [i, text] of ['a', 'b', 'c', 'd'].entries()) flushed.push(delta(text, [i]), i);
    expect(sent.map((m) => m.text)).toEqual(['a', 'b']);
    flushed.flush();
    expect(sent.map((m) => m.text)).toEqual(['a', 'b', 'cd']);

    sent = [];
    const dropped = new DeltaCoalescer(20, (m) => sent.push(m));
    for (const [i, text] of ['a', 'b', 'c'].entries()) dropped.push(delta(text, [i]), performance.now());
    dropped.discard();
    jest.advanceTimersByTime(100);
    expect(sent.map((m) => m.text)).toEqual(['a', 'b']);
  });
});

describe('merged', () => {
  it('joins fragments of the same call and keeps a new call apart', () => {
    const call = (index: number, id: string, name: string, argumentsFragment: string) => ({
      index,
      id,
      name,
      argumentsFragment,
    });
    const first = delta('', [1], { toolCallDeltas: [call(0, 'call_a', 'get_weather', '{"ci')] });
    const next = delta('', [2, 3], {
      toolCallDeltas: [call(0, '', '', 'ty":"Oslo"}'), call(1, 'call_b', 'get_time', '{')],
    });
    expect(merged(first, next).toolCallDeltas).toEqual([
      call(0, 'call_a', 'get_weather', '{"city":"Oslo"}'),
      call(1, 'call_b', 'get_time', '{'),
    ]);
    expect(first.toolCallDeltas[0].argumentsFragment).toBe('{"ci');
  });
});
