// Medium: the engine on real llama.cpp with the tiny generated model (scripted greedy reply
// "Hello big world", then EOS), so scheduling behaviour is checked in milliseconds per token.
import { DeadlineExceededError, InvalidRequestError, QueueFullError } from '../src/engine/engine.errors';
import { GenerationEvent, GenerationRequest } from '../src/engine/generation.types';
import { InferenceEngine } from '../src/engine/inference.engine';
import { collect, EngineFixture, startTinyEngine } from './engine.fixtures';

const chat = (content: string, extra: Partial<GenerationRequest> = {}): GenerationRequest => ({
  requestId: `req-${Math.random().toString(36).slice(2)}`,
  input: { messages: [{ role: 'user', content }] },
  ...extra,
});
const greedy = { temperature: 0 };
/** A raw prompt never reaches the scripted newline, so the random model talks until max_tokens. */
const ramble = (maxTokens: number, extra: Partial<GenerationRequest> = {}): GenerationRequest => ({
  requestId: `ramble-${Math.random().toString(36).slice(2)}`,
  input: { prompt: 'tell me everything' },
  sampling: { temperature: 0, maxTokens },
  ...extra,
});

/** Reads a generation until it produced `deltas` deltas; returns the iterator to read on from there. */
async function afterDeltas(
  handle: AsyncIterable<GenerationEvent>,
  deltas: number,
): Promise<AsyncIterator<GenerationEvent>> {
  const iterator = handle[Symbol.asyncIterator]();
  let seen = 0;
  while (seen < deltas) {
    const { value, done } = await iterator.next();
    if (done) throw new Error('stream ended early');
    if (value.type === 'delta') seen++;
  }
  return iterator;
}

describe(InferenceEngine.name, () => {
  let fixture: EngineFixture;
  let rambling: EngineFixture;
  let sut: InferenceEngine;

  beforeAll(async () => {
    fixture = await startTinyEngine({ slots: 4, queueMax: 8 }, { reply: 'Hello big world' });
    sut = fixture.engine;
    // Without a scripted reply the random model keeps talking until max_tokens.
    rambling = await startTinyEngine({ slots: 4, queueMax: 8, contextSize: 2048, prefillChunkTokens: 128 });
  });

  afterAll(async () => {
    await fixture.close();
    await rambling.close();
  });

  describe('streaming', () => {
    it('streams started, the reply deltas in order, then done with usage', async () => {
      const events = await collect(await sut.generate(chat('hi', { sampling: greedy })));
      expect(events.map((e) => e.type)).toEqual(['started', 'delta', 'delta', 'delta', 'done']);
      expect(events.filter((e) => e.type === 'delta').map((e) => e.type === 'delta' && e.text)).toEqual([
        'Hello',
        ' big',
        ' world',
      ]);
      const done = events[events.length - 1];
      expect(done).toMatchObject({ type: 'done', finishReason: 'stop', usage: { completionTokens: 3 } });
      expect(done.type === 'done' && done.usage.promptTokens).toBe(
        sut.countPromptTokens({ messages: [{ role: 'user', content: 'hi' }] }),
      );
    });

    it('never emits a stop sequence, even one spanning two tokens', async () => {
      await expect(
        sut.complete(chat('hi', { sampling: { ...greedy, stop: [' big'] } })),
      ).resolves.toMatchObject({ text: 'Hello', finishReason: 'stop' });
      const spanning = await sut.complete(chat('hi', { sampling: { ...greedy, stop: ['o bi'] } }));
      expect(spanning).toMatchObject({ text: 'Hell', finishReason: 'stop' });
      const unmatched = await sut.complete(chat('hi', { sampling: { ...greedy, stop: ['world!'] } }));
      expect(unmatched).toMatchObject({ text: 'Hello big world', finishReason: 'stop' });
    });

    it('stops at max_tokens with finish reason length', async () => {
      await expect(
        sut.complete(chat('hi', { sampling: { ...greedy, maxTokens: 2 } })),
      ).resolves.toMatchObject({
        text: 'Hello big',
        finishReason: 'length',
        usage: { completionTokens: 2 },
      });
    });
  });

  describe('continuous batching', () => {
    it('starts a request in the free slot beside the running one, so each step stays one forward pass', async () => {
      const engine = await startTinyEngine({ slots: 4, queueMax: 8, contextSize: 512 });
      try {
        const sut = engine.engine;
        const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
        const request = (i: number, maxTokens: number): GenerationRequest => ({
          requestId: `slot-${i}-${Math.random().toString(36).slice(2)}`,
          input: { prompt: `${words[i]} ${words[i]} tell me everything you know about it` },
          sampling: { temperature: 0, maxTokens },
        });
        const startedSlot = async (handle: AsyncIterator<GenerationEvent>) => {
          const first = await handle.next();
          if (first.done || first.value.type !== 'started') throw new Error('no started event');
          return first.value.slot;
        };
        // Slots 0-3 are filled in turn, then slots 1 and 2 serve their prompts again: the least recently
        // used free slots are now 0, then 3.
        // (A few ms apart: slots record when they were last used in ms.)
        for (const i of [0, 1, 2, 3, 1, 2]) {
          await sut.complete(request(i, 2));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const before = sut.metrics();
        const first = (await sut.generate(request(4, 32)))[Symbol.asyncIterator]();
        expect(await startedSlot(first)).toBe(0);
        // Least recently used would be slot 3, two runs of sequence ids and two passes per step.
        const second = (await sut.generate(request(5, 32)))[Symbol.asyncIterator]();
        expect(await startedSlot(second)).toBe(1);
        const drain = async (handle: AsyncIterator<GenerationEvent>) => {
          while (!(await handle.next()).done);
        };
        await Promise.all([drain(first), drain(second)]);
        const after = sut.metrics();
        const decodes = after.decodeCalls - before.decodeCalls;
        const passes = after.decodePassesTotal - before.decodePassesTotal;
        expect(decodes).toBeGreaterThan(30);
        // The one extra pass: the second prompt is prefilled beside the first's next token.
        expect(passes - decodes).toBeLessThanOrEqual(1);
      } finally {
        await engine.close();
      }
    });

    it('runs 4 concurrent requests in shared llama_decode batches', async () => {
      const sut = rambling.engine;
      const before = sut.metrics();
      const handles = await Promise.all(
        [0, 1, 2, 3].map((i) => sut.generate(ramble(24, { cacheSalt: `batch-${i}` }))),
      );
      const order: string[] = [];
      const results = await Promise.all(
        handles.map(async (handle, i) => {
          for await (const event of handle) if (event.type !== 'delta') order.push(`${event.type}:${i}`);
          return handle.result;
        }),
      );
      const after = sut.metrics();

      // Overlap: every request started before any finished.
      expect(order.slice(0, 4).every((e) => e.startsWith('started:'))).toBe(true);
      expect(results.map((r) => r.usage.completionTokens)).toEqual([24, 24, 24, 24]);
      // Occupancy, measured at the llama_decode boundary: the steps run all 4 sequences together.
      const decodes = after.decodeCalls - before.decodeCalls;
      const fourWide =
        (after.sequencesPerDecodeHistogram[4] ?? 0) - (before.sequencesPerDecodeHistogram[4] ?? 0);
      expect(decodes).toBeLessThanOrEqual(26);
      expect(fourWide).toBeGreaterThanOrEqual(23);
      expect((after.decodeSequencesTotal - before.decodeSequencesTotal) / decodes).toBeGreaterThan(3.5);
    });

    it('starts requests that reach an idle engine together in one step, though they came in separate callbacks', async () => {
      const sut = rambling.engine;
      const before = sut.metrics();
      // The second request is prepared in a later turn of the event loop than the first, as two
      // requests read from the network one after the other are.
      const first = sut.generate(ramble(8, { cacheSalt: 'together-1' }));
      await new Promise<void>((resolve) => setImmediate(resolve));
      const second = sut.generate(ramble(8, { cacheSalt: 'together-2' }));
      const results = await Promise.all(
        [first, second].map(async (pending) => {
          const handle = await pending;
          for await (const event of handle) void event;
          return handle.result;
        }),
      );
      const after = sut.metrics();

      expect(results.map((r) => r.usage.completionTokens)).toEqual([8, 8]);
      const wide = (n: number) =>
        (after.sequencesPerDecodeHistogram[n] ?? 0) - (before.sequencesPerDecodeHistogram[n] ?? 0);
      // Every decode carried both: the prompts together, then each token step.
      expect(wide(1)).toBe(0);
      expect(wide(2)).toBe(after.decodeCalls - before.decodeCalls);
    });

    it('prefills a long prompt in chunks while running streams keep decoding', async () => {
      const sut = rambling.engine;
      const runner = await sut.generate(ramble(1000, { cacheSalt: 'runner' }));
      await afterDeltas(runner, 1);
      const longPrompt = 'alpha beta gamma delta '.repeat(100);
      const promptTokens = sut.countPromptTokens({ prompt: longPrompt });
      const joiner = await sut.generate({
        requestId: 'long',
        cacheSalt: 'joiner',
        input: { prompt: longPrompt },
        sampling: { temperature: 0, maxTokens: 1 },
      });
      const before = sut.metrics();
      await joiner.result;
      const after = sut.metrics();
      runner.cancel();
      // The runner got a token in every step the joiner spent prefilling: no step held only the prompt.
      const steps = after.steps - before.steps;
      expect(steps).toBeGreaterThanOrEqual(Math.floor(promptTokens / 128));
      expect(after.completionTokens - before.completionTokens).toBeGreaterThanOrEqual(steps - 1);
      const decodes = after.decodeCalls - before.decodeCalls;
      expect(after.decodeSequencesTotal - before.decodeSequencesTotal).toBeGreaterThanOrEqual(
        2 * decodes - 1,
      );
    });
  });

  describe('prefix cache', () => {
    it('reports the reused prefix as cached prompt tokens, only under the same salt', async () => {
      const system = {
        role: 'system' as const,
        content: 'You are a terse assistant for the Hearth test suite. Answer in three words.',
      };
      const ask = (content: string, cacheSalt: string) =>
        sut.complete({
          requestId: content,
          cacheSalt,
          input: { messages: [system, { role: 'user', content }] },
          sampling: greedy,
        });
      const first = await ask('first question', 'tenant-a');
      const second = await ask('second question', 'tenant-a');
      const otherTenant = await ask('third question', 'tenant-b');

      expect(first.usage.cachedPromptTokens).toBe(0);
      // The two prompts share the system turn and the user turn's opening: all of it is reused but
      // at most the last token, which is evaluated again to sample from.
      const tokensOf = (content: string) =>
        sut.promptTokens({ messages: [system, { role: 'user', content }] });
      const [a, b] = [tokensOf('first question'), tokensOf('second question')];
      let sharedPrefix = 0;
      while (a[sharedPrefix] === b[sharedPrefix]) sharedPrefix++;
      expect(sharedPrefix).toBeGreaterThan(10);
      expect(second.usage.cachedPromptTokens).toBeGreaterThanOrEqual(sharedPrefix - 1);
      expect(second.usage.cachedPromptTokens).toBeLessThan(second.usage.promptTokens);
      expect(second.text).toBe(first.text);
      expect(otherTenant.usage.cachedPromptTokens).toBe(0);
    });

    it('re-evaluates only the last token of an identical prompt', async () => {
      const request = chat('identical prompt', { cacheSalt: 'same', sampling: greedy });
      const first = await sut.complete(request);
      const again = await sut.complete(request);
      expect(again.usage.cachedPromptTokens).toBe(first.usage.promptTokens - 1);
      expect(again.text).toBe(first.text);
    });
  });

  describe('sampling', () => {
    it('repeats its output for the same seed and prompt', async () => {
      const sampled = (seed: number) =>
        rambling.engine.complete(
          ramble(16, { sampling: { temperature: 1.2, topK: 0, topP: 1, minP: 0, seed, maxTokens: 16 } }),
        );
      const a = await sampled(11);
      const b = await sampled(11);
      const c = await sampled(12);
      expect(a.text).toBe(b.text);
      expect(a.seed).toBe(11);
      expect(c.text).not.toBe(a.text);
    });

    it('applies repetition penalties without breaking generation', async () => {
      const result = await rambling.engine.complete(
        ramble(12, {
          sampling: {
            temperature: 0,
            maxTokens: 12,
            repetitionPenalty: 1.3,
            frequencyPenalty: 1,
            presencePenalty: 0.5,
          },
        }),
      );
      expect(result.usage.completionTokens).toBe(12);
    });
  });

  describe('validation', () => {
    it('names the bad fields', async () => {
      const error = await sut
        .generate(chat('hi', { sampling: { temperature: -1, maxTokens: 0 } }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).problems.map((p) => p.field)).toEqual([
        'temperature',
        'max_tokens',
      ]);
    });

    it('refuses a prompt longer than the context, naming messages', async () => {
      const error = await sut.generate(chat('word '.repeat(2000))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({ field: 'messages' });
      expect((error as Error).message).toMatch(/the prompt is \d+ tokens; the context holds 512/);
    });

    it('clamps max_tokens to what the context can still hold', async () => {
      const long = 'word '.repeat(480);
      const prompt = sut.countPromptTokens({ prompt: long });
      const result = await sut.complete({
        requestId: 'clamp',
        input: { prompt: long },
        sampling: { temperature: 0, maxTokens: 500 },
      });
      expect(result.usage.completionTokens).toBeLessThanOrEqual(512 - 1 - prompt);
    });
  });

  describe('tokenize', () => {
    it('round-trips text through the model tokenizer', () => {
      const tokens = sut.tokenize('Hello big world');
      expect(tokens.length).toBeGreaterThan(0);
      expect(sut.detokenize(tokens)).toBe('Hello big world');
    });
  });
});

describe(`${InferenceEngine.name} admission`, () => {
  let fixture: EngineFixture;
  let sut: InferenceEngine;

  beforeAll(async () => {
    // One slot and one queue place make "busy" and "full" easy to reach.
    fixture = await startTinyEngine({ slots: 1, queueMax: 1, contextSize: 2048 });
    sut = fixture.engine;
  });

  afterAll(() => fixture.close());

  it('cancelling a running request frees its slot within one step', async () => {
    const running = await sut.generate(ramble(2000));
    const waiting = await sut.generate(ramble(3));
    const iterator = await afterDeltas(running, 3);
    const stepsAtCancel = sut.metrics().steps;
    running.cancel();
    const result = await running.result;
    expect(result.finishReason).toBe('cancelled');
    expect(result.usage.completionTokens).toBeLessThan(2000);
    expect(sut.metrics().steps).toBeLessThanOrEqual(stepsAtCancel + 1);
    await iterator.return?.();
    await expect(waiting.result).resolves.toMatchObject({
      finishReason: 'length',
      usage: { completionTokens: 3 },
    });
    expect(sut.health()).toMatchObject({ activeSlots: 0, freeSlots: 1, queueDepth: 0 });
  });

  it('an aborted signal cancels, whether the request runs or waits', async () => {
    const runningAbort = new AbortController();
    const waitingAbort = new AbortController();
    const running = await sut.generate(ramble(2000, { signal: runningAbort.signal }));
    const waiting = await sut.generate(ramble(2000, { signal: waitingAbort.signal }));
    await afterDeltas(running, 1);
    waitingAbort.abort();
    await expect(waiting.result).resolves.toMatchObject({
      finishReason: 'cancelled',
      usage: { completionTokens: 0 },
    });
    runningAbort.abort();
    await expect(running.result).resolves.toMatchObject({ finishReason: 'cancelled' });
  });

  it('refuses with QueueFullError and a retry hint when every slot and queue place is taken', async () => {
    const running = await sut.generate(ramble(2000));
    await afterDeltas(running, 1);
    const queued = await sut.generate(ramble(2000));
    const error = await sut.generate(ramble(5)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(sut.metrics().requestsRejected).toBeGreaterThanOrEqual(1);

    // A higher tier sheds the waiting normal-priority request instead of being refused.
    const urgent = await sut.generate(ramble(2, { priority: 'high' }));
    await expect(queued.result).rejects.toBeInstanceOf(QueueFullError);
    running.cancel();
    await expect(urgent.result).resolves.toMatchObject({ finishReason: 'length' });
  });

  it('honours deadlines in the queue and during generation', async () => {
    const running = await sut.generate(ramble(2000, { deadlineAt: Date.now() + 150 }));
    const queued = await sut.generate(ramble(5, { deadlineAt: Date.now() + 30 }));
    await expect(queued.result).rejects.toBeInstanceOf(DeadlineExceededError);
    const result = await running.result;
    expect(result.finishReason).toBe('deadline');
    expect(result.usage.completionTokens).toBeLessThan(2000);
    await expect(sut.generate(ramble(5, { deadlineAt: Date.now() - 1 }))).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
  });
});

describe(`${InferenceEngine.name} embeddings`, () => {
  let fixture: EngineFixture;

  beforeAll(async () => {
    fixture = await startTinyEngine({ slots: 1 }, { pooling: 'mean' });
  });

  afterAll(() => fixture.close());

  it('embeds each input into a vector of the model width, deterministically', async () => {
    const sut = fixture.engine;
    const { vectors, promptTokens } = await sut.embed([
      'the cat sat',
      'a completely different sentence',
      'the cat sat',
    ]);
    expect(vectors).toHaveLength(3);
    expect(vectors[0]).toHaveLength(64);
    expect(vectors[0]).toEqual(vectors[2]);
    expect(vectors[0]).not.toEqual(vectors[1]);
    expect(promptTokens).toBeGreaterThan(0);
  });

  it('names the bad input', async () => {
    await expect(fixture.engine.embed([])).rejects.toMatchObject({ field: 'input' });
    await expect(fixture.engine.embed(['ok', ''])).rejects.toMatchObject({ field: 'input[1]' });
  });
});
