import { GenerationStream } from './generation.stream';
import { GenerationEvent } from './generation.types';

const done: GenerationEvent = {
  type: 'done',
  finishReason: 'stop',
  seed: 7,
  usage: { promptTokens: 3, cachedPromptTokens: 0, completionTokens: 2 },
  timings: { queuedMs: 0, timeToFirstTokenMs: 1, totalMs: 2 },
};

describe(GenerationStream.name, () => {
  it('yields buffered and later events in order and resolves the result', async () => {
    const sut = new GenerationStream('r1', () => undefined);
    sut.push({ type: 'delta', text: 'Hel', completionTokens: 1 });
    setTimeout(() => {
      sut.push({ type: 'delta', text: 'lo', completionTokens: 2 });
      sut.push(done);
    }, 5);
    const seen: string[] = [];
    for await (const event of sut) seen.push(event.type === 'delta' ? event.text : event.type);
    expect(seen).toEqual(['Hel', 'lo', 'done']);
    await expect(sut.result).resolves.toMatchObject({
      requestId: 'r1',
      text: 'Hello',
      finishReason: 'stop',
      seed: 7,
    });
  });

  it('throws a failure after the events before it', async () => {
    const sut = new GenerationStream('r2', () => undefined);
    sut.push({ type: 'delta', text: 'x', completionTokens: 1 });
    sut.fail(new Error('boom'));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of sut) seen.push(event.type);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual(['delta']);
    await expect(sut.result).rejects.toThrow('boom');
  });

  it('cancels the request when the consumer stops reading early, but not after it ended', async () => {
    const cancel = jest.fn();
    const sut = new GenerationStream('r3', cancel);
    sut.push({ type: 'delta', text: 'a', completionTokens: 1 });
    for await (const _event of sut) break;
    expect(cancel).toHaveBeenCalledTimes(1);

    const ended = new GenerationStream('r4', cancel);
    ended.push(done);
    for await (const _event of ended) break;
    expect(cancel).toHaveBeenCalledTimes(1);
  });
});
