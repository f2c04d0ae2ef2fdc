// Medium: speculative decoding by prompt lookup on the real default chat model (SmolLM2 135M Instruct,
// HEARTH_CHAT_MODEL_PATH). Two engines on the same GGUF, drafting off and on: greedy answers must be
// token-for-token the same, on an answer that copies its prompt and on free text, alone, batched
// together, and on a slot whose cache a drafting answer left; the draft counters
// must move where drafts can be accepted and stay put where a request may not draft (a grammar,
// penalties, sampling).
import { GenerationEvent, GenerationRequest } from '../src/engine/generation.types';
import { InferenceEngine } from '../src/engine/inference.engine';
import { chatModelPath, collect, EngineFixture, startRealEngine } from './engine.fixtures';

jest.setTimeout(120_000);

const ORDER = JSON.stringify({
  order_id: 'A-10482',
  customer: { name: 'Maria Lindqvist', email: 'maria.lindqvist@example.com' },
  items: [
    { sku: 'KB-204', quantity: 1, unit_price: 89.5 },
    { sku: 'MS-310', quantity: 2, unit_price: 24.99 },
  ],
});
const EXTRACTIVE = `Repeat the following JSON exactly as it is, with no other text.\n\n${ORDER}`;
const FREE_TEXT = 'Write a short story about a lighthouse keeper.';

let counter = 0;
const ask = (content: string, extra: Partial<GenerationRequest> = {}): GenerationRequest => ({
  requestId: `spec-${counter++}`,
  input: { messages: [{ role: 'user', content }] },
  sampling: { temperature: 0, maxTokens: 48 },
  ...extra,
});

interface Answer {
  readonly text: string;
  readonly tokenIds: readonly number[];
  readonly cachedPromptTokens: number;
}

function answerOf(events: GenerationEvent[]): Answer {
  const deltas = events.flatMap((e) => (e.type === 'delta' ? [e] : []));
  const done = events.find((e) => e.type === 'done');
  if (done?.type !== 'done') throw new Error('generation did not finish');
  return {
    text: deltas.map((d) => d.text).join(''),
    tokenIds: deltas.flatMap((d) => d.tokenIds ?? []),
    cachedPromptTokens: done.usage.cachedPromptTokens,
  };
}

const answer = async (engine: InferenceEngine, request: GenerationRequest): Promise<Answer> =>
  answerOf(await collect(await engine.generate(request)));

describe(`${InferenceEngine.name} speculative decoding (prompt lookup) on the real chat model`, () => {
  let plain: EngineFixture;
  let drafting: EngineFixture;
  let sut: InferenceEngine;
  const drafts = () => {
    const m = sut.metrics();
    return { proposed: m.draftTokensProposed, accepted: m.draftTokensAccepted };
  };

  beforeAll(async () => {
    const options = { slots: 2, contextSize: 1024, batchSize: 256 };
    plain = await startRealEngine(options, chatModelPath());
    drafting = await startRealEngine(
      { ...options, drafting: { mode: 'prompt_lookup', maxDraftTokens: 8 } },
      chatModelPath(),
    );
    sut = drafting.engine;
  });

  afterAll(async () => {
    await plain?.close();
    await drafting?.close();
  });

  it('copies from the prompt token for token as without drafting, and accepts drafts doing it', async () => {
    const before = drafts();
    const expected = await answer(plain.engine, ask(EXTRACTIVE));
    const actual = await answer(sut, ask(EXTRACTIVE));

    expect(actual.tokenIds).toEqual(expected.tokenIds);
    expect(actual.text).toBe(expected.text);
    expect(actual.text).toContain('Maria Lindqvist');
    const after = drafts();
    expect(after.accepted - before.accepted).toBeGreaterThan(0);
    expect(after.proposed - before.proposed).toBeGreaterThanOrEqual(after.accepted - before.accepted);
    expect(plain.engine.metrics()).toMatchObject({ draftTokensProposed: 0, draftTokensAccepted: 0 });
  });

  it('writes the same free text as without drafting', async () => {
    const expected = await answer(plain.engine, ask(FREE_TEXT));
    const actual = await answer(sut, ask(FREE_TEXT));

    expect(expected.tokenIds.length).toBe(48);
    expect(actual.tokenIds).toEqual(expected.tokenIds);
  });

  it('keeps both answers when a drafting slot and a free-text slot decode in the same batches', async () => {
    const expected = await Promise.all([
      answer(plain.engine, ask(EXTRACTIVE, { cacheSalt: 'batch-a' })),
      answer(plain.engine, ask(FREE_TEXT, { cacheSalt: 'batch-b' })),
    ]);
    const before = sut.metrics();
    const actual = await Promise.all([
      answer(sut, ask(EXTRACTIVE, { cacheSalt: 'batch-a' })),
      answer(sut, ask(FREE_TEXT, { cacheSalt: 'batch-b' })),
    ]);
    const after = sut.metrics();

    expect(actual.map((a) => a.tokenIds)).toEqual(expected.map((e) => e.tokenIds));
    // Both slots shared llama_decode calls while they generated.
    const batchedBefore = before.sequencesPerDecodeHistogram[2] ?? 0;
    expect(after.sequencesPerDecodeHistogram[2] ?? 0).toBeGreaterThan(batchedBefore);
    expect(after.draftTokensAccepted).toBeGreaterThan(before.draftTokensAccepted);
  });

  it('reuses the prefix a drafting answer left cached (verified tokens past its end included), with the same answer', async () => {
    const expected = await answer(plain.engine, ask(EXTRACTIVE, { cacheSalt: 'reuse' }));
    await answer(sut, ask(EXTRACTIVE, { cacheSalt: 'reuse' }));
    const again = await answer(sut, ask(EXTRACTIVE, { cacheSalt: 'reuse' }));

    expect(again.cachedPromptTokens).toBeGreaterThan(0);
    expect(again.tokenIds).toEqual(expected.tokenIds);
  });

  it.each<[string, Partial<GenerationRequest>]>([
    ['a JSON response format', { responseFormat: { type: 'json_object' } }],
    ['a repetition penalty', { sampling: { temperature: 0, maxTokens: 48, repetitionPenalty: 1.2 } }],
    ['sampling at temperature 0.7', { sampling: { temperature: 0.7, seed: 11, maxTokens: 48 } }],
  ])('never drafts for %s, and answers as without drafting', async (_, extra) => {
    const expected = await answer(plain.engine, ask(EXTRACTIVE, extra));
    const before = drafts();
    const actual = await answer(sut, ask(EXTRACTIVE, extra));

    expect(drafts()).toEqual(before);
    expect(actual.tokenIds).toEqual(expected.tokenIds);
  });
});
