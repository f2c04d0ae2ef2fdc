// Medium: forced tool choice on the small real model (Gemma 3 270M, HEARTH_MODEL_PATH), where what
// matters is not only that the arguments parse (the grammar guarantees that, see worker-grpc.spec.ts)
// but that the model fills them from the conversation. The GGUF has no chat template of its own, so
// requests carry the one the local registry gives it, as the gateway would.
import { commonV1 } from '@hearth/contracts';
import { localChatTemplate } from '@hearth/testing';

import { GenerationService } from '../src/generation/generation.service';
import { generate, startRealModelWorker, userMessage, WorkerFixture } from './worker-grpc.fixtures';

jest.setTimeout(60_000);

describe(`${GenerationService.name} on the real model`, () => {
  let fixture: WorkerFixture;

  beforeAll(async () => {
    fixture = await startRealModelWorker({ WORKER_SLOTS: '1', WORKER_CONTEXT_SIZE: '1024' });
  });

  afterAll(() => fixture?.close());

  it('fills a forced tool call from the conversation', async () => {
    const messages = await generate(fixture.client, {
      modelId: 'gemma-3-270m-it',
      messages: [userMessage('What is the weather in Paris right now?')],
      chatTemplate: localChatTemplate('gemma-3-270m'),
      tools: [
        {
          name: 'get_weather',
          description: 'Get the current weather for a city',
          parametersJsonSchema: JSON.stringify({
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          }),
          strict: true,
        },
      ],
      toolChoice: {
        mode: commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
        name: 'get_weather',
        disableParallelCalls: false,
      },
      sampling: { temperature: 0, maxTokens: 40, stop: [] },
    });

    const deltas = messages.flatMap((m) => m.toolCallDeltas);
    expect(deltas[0]).toMatchObject({ index: 0, name: 'get_weather' });
    expect(JSON.parse(deltas.map((d) => d.argumentsFragment).join(''))).toEqual({ city: 'Paris' });
    expect(messages[messages.length - 1].finishReason).toBe(commonV1.FinishReason.FINISH_REASON_TOOL_CALLS);
  });
});
