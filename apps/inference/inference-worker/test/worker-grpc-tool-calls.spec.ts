// Medium: tool calls the model decides to make (tool_choice auto) at the worker's gRPC edge, on a
// tiny generated model scripted to say some text and then two calls in the chat template's function
// syntax, one word per token: the text streams as text, each call streams as tool-call deltas (id
// and name first, then the arguments as they are generated), and disable_parallel_calls stops the
// generation after the first call. A strict tool's arguments follow its schema's grammar even where
// the script says otherwise.
import { commonV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { generate, startTinyWorker, userMessage, WorkerFixture } from './worker-grpc.fixtures';

jest.setTimeout(30_000);

const { FinishReason, ToolChoiceMode } = commonV1;
const REPLY = 'Checking. ||call:get_weather({"city": "Paris"}) ||call: now()';
const tools: commonV1.ToolDefinition[] = [
  {
    name: 'get_weather',
    description: 'The weather in a city',
    parametersJsonSchema: JSON.stringify({ type: 'object', properties: { city: { type: 'string' } } }),
    strict: false,
  },
  { name: 'now', description: 'The time', parametersJsonSchema: '', strict: false },
];

describe('InferenceWorkerService.Generate with tool_choice auto', () => {
  let sut: WorkerFixture;

  beforeAll(async () => {
    sut = await startTinyWorker({ WORKER_CONTEXT_SIZE: '2048' }, { reply: REPLY });
  });

  afterAll(() => sut?.close());

  const run = (disableParallelCalls: boolean) =>
    generate(sut.client, {
      messages: [userMessage('Weather in Paris, and the time?')],
      tools,
      toolChoice: { mode: ToolChoiceMode.TOOL_CHOICE_MODE_AUTO, name: '', disableParallelCalls },
      sampling: { temperature: 0, stop: [] },
    });

  it('streams the text before the calls as text and each call as deltas while it is generated', async () => {
    const messages = await run(false);

    expect(messages.map((m) => m.text).join('')).toBe('Checking. ');
    const withCalls = messages.filter((m) => m.toolCallDeltas.length > 0);
    const deltas = withCalls.flatMap((m) => m.toolCallDeltas);
    expect(deltas.map((d) => [d.index, d.name, d.argumentsFragment])).toEqual([
      [0, 'get_weather', '{"city":'],
      [0, '', ' "Paris"}'],
      [1, 'now', '{}'],
    ]);
    // The first fragment of the weather call went out before its arguments were complete.
    expect(withCalls[0]?.toolCallDeltas).toHaveLength(1);
    expect(deltas[0]?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(deltas[1]?.id).toBe('');
    expect(deltas[2]?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(deltas[2]?.id).not.toBe(deltas[0]?.id);
    expect(messages[messages.length - 1]?.finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
  });

  it("answers INVALID_ARGUMENT for a tool's parameters the template cannot document, not INTERNAL", async () => {
    // INTERNAL is a worker fault to the gateway: it retried every worker and ejected them.
    const broken: commonV1.ToolDefinition = {
      name: 'broken',
      description: 'A schema with a property that is null',
      parametersJsonSchema: JSON.stringify({ type: 'object', properties: { a: null } }),
      strict: false,
    };
    const failure = await generate(sut.client, {
      messages: [userMessage('Weather in Paris?')],
      tools: [broken],
      toolChoice: { mode: ToolChoiceMode.TOOL_CHOICE_MODE_AUTO, name: '', disableParallelCalls: false },
      sampling: { temperature: 0, stop: [] },
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(String((failure as Error).message)).toMatch(/tools/);
    // The worker goes on serving.
    expect((await run(true)).at(-1)?.finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
  });

  it('stops after the first call with disable_parallel_calls', async () => {
    const parallel = await run(false);
    const single = await run(true);

    const deltas = single.flatMap((m) => m.toolCallDeltas);
    expect(new Set(deltas.map((d) => d.index))).toEqual(new Set([0]));
    expect(deltas.map((d) => d.argumentsFragment).join('')).toBe('{"city": "Paris"}');
    expect(single[single.length - 1]?.finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
    // The generation was cut there rather than run to the end of the scripted reply.
    expect(single[single.length - 1]?.usage?.completionTokens).toBeLessThan(
      parallel[parallel.length - 1]?.usage?.completionTokens ?? 0,
    );
  });
});

describe('InferenceWorkerService.Generate with tool_choice auto and a strict tool', () => {
  // The params prefix is a token of its own, so the arguments start at a fresh token; the script then
  // says "Paris", which the strict tool's schema does not allow.
  const STRICT_REPLY = '||call:get_weather( {"city": "Paris"})';
  const weather = (strict: boolean): commonV1.ToolDefinition => ({
    name: 'get_weather',
    description: 'The weather in a city',
    parametersJsonSchema: JSON.stringify({
      type: 'object',
      properties: { city: { type: 'string', enum: ['Rome'] } },
      required: ['city'],
      additionalProperties: false,
    }),
    strict,
  });
  let sut: WorkerFixture;

  beforeAll(async () => {
    sut = await startTinyWorker({ WORKER_CONTEXT_SIZE: '2048' }, { reply: STRICT_REPLY });
  });

  afterAll(() => sut?.close());

  const argumentsOf = async (strict: boolean) => {
    const messages = await generate(sut.client, {
      messages: [userMessage('Weather in Paris?')],
      tools: [weather(strict)],
      toolChoice: { mode: ToolChoiceMode.TOOL_CHOICE_MODE_AUTO, name: '', disableParallelCalls: false },
      sampling: { temperature: 0, maxTokens: 60, stop: [] },
    });
    const deltas = messages.flatMap((m) => m.toolCallDeltas);
    expect(deltas[0]?.name).toBe('get_weather');
    expect(messages[messages.length - 1]?.finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
    return JSON.parse(deltas.map((d) => d.argumentsFragment).join('')) as unknown;
  };

  it("generates a strict tool's arguments under its schema, and leaves a non-strict one as written", async () => {
    expect(await argumentsOf(false)).toEqual({ city: 'Paris' });
    expect(await argumentsOf(true)).toEqual({ city: 'Rome' });
  });
});
