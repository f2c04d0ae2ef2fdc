// Medium: the worker started on the tiny generated model (greedy reply of five words) with
// WORKER_STREAM_INTERVAL_MS long enough that every token after the second is generated within it: the
// first two deltas still go out at once (the first with the prompt's usage); the rest arrive merged in
// one message before the last, with the same text, token ids and tool-call arguments as one message
// per token.
import { commonV1 } from '@hearth/contracts';

import Ajv from 'ajv';

import {
  generate,
  startTinyWorker,
  userMessage,
  weatherParameters,
  WorkerFixture,
} from './worker-grpc.fixtures';

jest.setTimeout(30_000);

const { FinishReason, ToolChoiceMode } = commonV1;

describe('Worker stream interval', () => {
  let paced: WorkerFixture;
  let perToken: WorkerFixture;

  beforeAll(async () => {
    const gguf = { reply: 'alpha beta gamma delta epsilon' };
    // One after the other: two engines loading llama.cpp at once in one process can miss its binary.
    paced = await startTinyWorker({ WORKER_CONTEXT_SIZE: '1024', WORKER_STREAM_INTERVAL_MS: '1000' }, gguf);
    perToken = await startTinyWorker({ WORKER_CONTEXT_SIZE: '1024' }, gguf);
  });

  afterAll(() => Promise.all([paced?.close(), perToken?.close()]));

  it('sends the first two deltas alone, the first with the prompt usage, and merges the rest before the last message', async () => {
    const request = { messages: [userMessage('hi')], sampling: { temperature: 0, stop: [] } };
    const messages = await generate(paced.client, request);
    const reference = await generate(perToken.client, request);

    expect(reference.map((m) => m.text)).toEqual(['alpha', ' beta', ' gamma', ' delta', ' epsilon', '']);
    const rest = reference.slice(2, -1);
    expect(messages.map((m) => m.text)).toEqual(['alpha', ' beta', ' gamma delta epsilon', '']);
    expect(messages.map((m) => m.tokenIds)).toEqual([
      reference[0].tokenIds,
      reference[1].tokenIds,
      rest.flatMap((m) => m.tokenIds),
      [],
    ]);
    expect(messages[0].usage).toEqual(reference[0].usage);
    expect(messages.slice(1, 3).every((m) => m.usage == null)).toBe(true);
    expect(messages[3].finishReason).toBe(FinishReason.FINISH_REASON_STOP);
    expect(messages[3].usage?.completionTokens).toBe(5);
  });

  it('joins a forced tool call into fragments of the same call that still parse to valid arguments', async () => {
    const request = {
      messages: [userMessage('Weather in Oslo for three days?')],
      tools: [
        {
          name: 'get_weather',
          description: 'the get_weather tool',
          parametersJsonSchema: JSON.stringify(weatherParameters),
          strict: true,
        },
      ],
      toolChoice: {
        mode: ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
        name: 'get_weather',
        disableParallelCalls: false,
      },
      sampling: { temperature: 0.7, seed: 7, maxTokens: 120, stop: [] },
    };
    const messages = await generate(paced.client, request);
    const reference = await generate(perToken.client, request);

    const deltas = messages.flatMap((m) => m.toolCallDeltas);
    const referenceDeltas = reference.flatMap((m) => m.toolCallDeltas);
    expect(messages.length).toBeLessThan(reference.length);
    expect(deltas[0]).toMatchObject({ index: 0, name: 'get_weather' });
    expect(deltas.slice(1).every((d) => d.index === 0 && d.id === '' && d.name === '')).toBe(true);
    const args = deltas.map((d) => d.argumentsFragment).join('');
    expect(args).toBe(referenceDeltas.map((d) => d.argumentsFragment).join(''));
    expect(new Ajv().compile(weatherParameters)(JSON.parse(args))).toBe(true);
    expect(messages[messages.length - 1].finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
  });
});
