// Medium: the engine on the small real model (Gemma 3 270M from the local infrastructure,
// HEARTH_MODEL_PATH): constrained JSON, seeds, batching and prefix reuse past Gemma's 512-token
// sliding window, with short generations so each case takes seconds. The GGUF has no chat template of
// its own; prompts use the one the local registry gives it.
import { localChatTemplate } from '@hearth/testing';

import Ajv from 'ajv';

import { GenerationRequest } from '../src/engine/generation.types';
import { InferenceEngine } from '../src/engine/inference.engine';
import { EngineFixture, expectedAutoBackend, startRealEngine } from './engine.fixtures';

jest.setTimeout(60_000);

const GEMMA_TEMPLATE = localChatTemplate('gemma-3-270m');

const ask = (content: string, extra: Partial<GenerationRequest> = {}): GenerationRequest => ({
  requestId: `real-${Math.random().toString(36).slice(2)}`,
  input: { messages: [{ role: 'user', content }], chatTemplate: GEMMA_TEMPLATE },
  ...extra,
});

describe(`${InferenceEngine.name} on the real model`, () => {
  let fixture: EngineFixture;
  let sut: InferenceEngine;

  beforeAll(async () => {
    fixture = await startRealEngine({ slots: 4, contextSize: 1024, batchSize: 512 });
    sut = fixture.engine;
  });

  afterAll(() => fixture?.close());

  it('reports the model it serves', async () => {
    expect(sut.info).toMatchObject({
      backend: await expectedAutoBackend(),
      chatTemplate: 'none',
      slots: 4,
      contextSize: 1024,
    });
  });

  it('keeps json_schema output valid against the schema on several seeds, batched together', async () => {
    const schema = {
      type: 'object',
      properties: {
        city: { type: 'string', enum: ['Paris', 'Rome', 'Oslo'] },
        population_millions: { type: 'number' },
        capital: { type: 'boolean' },
      },
      required: ['city', 'population_millions', 'capital'],
      additionalProperties: false,
    };
    const validate = new Ajv().compile(schema);
    const results = await Promise.all(
      [1, 2, 3].map((seed) =>
        sut.complete(
          ask('Describe the capital of France as JSON.', {
            responseFormat: { type: 'json_schema', schema },
            sampling: { seed, temperature: 0.9, maxTokens: 80 },
          }),
        ),
      ),
    );
    for (const result of results) {
      expect(result.finishReason).toBe('stop');
      const parsed: unknown = JSON.parse(result.text);
      expect(validate(parsed)).toBe(true);
    }
  });

  it('produces a JSON object for json_object', async () => {
    const result = await sut.complete(
      ask('Give a JSON object with a "name" field set to "Hearth".', {
        responseFormat: { type: 'json_object' },
        sampling: { seed: 4, temperature: 0, maxTokens: 40 },
      }),
    );
    // Small models may run to max_tokens inside the object; what was produced still follows the grammar.
    expect(result.text.trimStart().startsWith('{')).toBe(true);
    if (result.finishReason === 'stop') expect(typeof JSON.parse(result.text)).toBe('object');
  });

  it('refuses a schema the grammar compiler cannot handle, naming the field', async () => {
    const error = await sut
      .generate(ask('x', { responseFormat: { type: 'json_schema', schema: { type: 'no-such-type' } } }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequestError', field: 'response_format.json_schema.schema' });
  });

  it('gives the same output for the same seed', async () => {
    // Different salts: both runs prefill from scratch, so the arithmetic is identical too.
    const run = (salt: string, seed: number) =>
      sut.complete(
        ask('Write one sentence about lighthouses.', {
          cacheSalt: salt,
          sampling: { seed, temperature: 0.9, maxTokens: 16 },
        }),
      );
    const first = await run('seed-a', 1234);
    const second = await run('seed-b', 1234);
    const otherSeed = await run('seed-c', 4321);
    expect(second.text).toBe(first.text);
    expect(first.usage.completionTokens).toBeGreaterThan(0);
    expect(otherSeed.text).not.toBe(first.text);
  });

  it('never emits a stop sequence in real text', async () => {
    const prompt = { prompt: 'The three primary colours are' };
    const free = await sut.complete({
      requestId: 'free',
      input: prompt,
      sampling: { temperature: 0, maxTokens: 24 },
    });
    const stop = free.text.includes(',') ? ',' : ' ';
    const stopped = await sut.complete({
      requestId: 'stop',
      input: prompt,
      sampling: { temperature: 0, maxTokens: 24, stop: [stop] },
    });
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.text).not.toContain(stop);
    expect(free.text.startsWith(stopped.text + stop)).toBe(true);
  });

  it('decodes 4 concurrent requests in shared batches', async () => {
    const before = sut.metrics();
    const results = await Promise.all(
      ['the sea', 'a forest', 'a city', 'the moon'].map((topic, i) =>
        sut.complete({
          requestId: `batch-${i}`,
          cacheSalt: `batch-${i}`,
          input: { prompt: `A short story about ${topic}:` },
          sampling: { temperature: 0.7, seed: i, maxTokens: 12 },
        }),
      ),
    );
    const after = sut.metrics();
    const decodes = after.decodeCalls - before.decodeCalls;
    const sequences = after.decodeSequencesTotal - before.decodeSequencesTotal;
    expect(results.every((r) => r.usage.completionTokens > 0)).toBe(true);
    // 4 requests x up to 12 tokens in about 12 decodes, each carrying (nearly) all 4 sequences.
    expect(decodes).toBeLessThanOrEqual(13);
    expect(sequences / decodes).toBeGreaterThan(3);
  });

  it('reuses a cached prefix longer than the sliding window, cutting time to first token', async () => {
    const document = Array.from(
      { length: 30 },
      (_, i) =>
        `Clause ${i + 1}: the tenant keeps the premises in good order and reports defects within ${i + 2} days.`,
    ).join(' ');
    const question = (q: string) =>
      sut.complete(
        ask(`${document}\n\nQuestion: ${q}`, {
          cacheSalt: 'lease',
          sampling: { temperature: 0, maxTokens: 2 },
        }),
      );
    const cold = await question('What does clause 3 say?');
    const warm = await question('What does clause 7 say?');
    expect(cold.usage.promptTokens).toBeGreaterThan(600);
    expect(cold.usage.cachedPromptTokens).toBe(0);
    expect(warm.usage.cachedPromptTokens).toBeGreaterThan(cold.usage.promptTokens - 20);
    expect(warm.timings.timeToFirstTokenMs!).toBeLessThan(cold.timings.timeToFirstTokenMs! / 3);
  });
});
