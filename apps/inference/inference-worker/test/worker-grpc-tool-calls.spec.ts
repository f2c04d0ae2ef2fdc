// Medium: tool calls the model decides to make (tool_choice auto) at the worker's gRPC edge, on a
// tiny generated model scripted to say some text and then two calls in the chat template's function
// syntax, one word per token: the text streams as text, each call streams as tool-call deltas (id
// and name first, then the arguments as they are generated), and disable_parallel_calls stops the
// generation after the first call.
import { commonV1 } from '@hearth/contracts';

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
