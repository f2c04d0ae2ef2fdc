// Medium: the whole worker (config, engine on real llama.cpp, NestJS gRPC, /metrics) started once on
// the tiny generated model, whose greedy chat reply is "Hello big world", and called through the typed
// gRPC client as the gateway calls it.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { commonV1, healthV1, inferenceV1 } from '@hearth/contracts';
import { GrpcError } from '@hearth/grpc';

import { status } from '@grpc/grpc-js';
import Ajv from 'ajv';

import { InferenceWorkerController } from '../src/grpc/inference-worker.controller';
import {
  assistantMessage,
  generate,
  metricValue,
  scrapeMetrics,
  startTinyWorker,
  textOf,
  userMessage,
  weatherParameters,
  WorkerFixture,
} from './worker-grpc.fixtures';

jest.setTimeout(30_000);

const { FinishReason, ResponseFormatType, ToolChoiceMode } = commonV1;
const greedy = { temperature: 0, stop: [] };
const jsonSchemaFormat = (schema: unknown): commonV1.ResponseFormat => ({
  type: ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
  schemaName: 'answer',
  schemaJson: typeof schema === 'string' ? schema : JSON.stringify(schema),
  strict: true,
});
const tool = (name: string, parameters: unknown): commonV1.ToolDefinition => ({
  name,
  description: `the ${name} tool`,
  parametersJsonSchema: typeof parameters === 'string' ? parameters : JSON.stringify(parameters),
  strict: true,
});

async function rejection(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GrpcError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe(InferenceWorkerController.name, () => {
  let fixture: WorkerFixture;
  let sut: WorkerFixture['client'];

  beforeAll(async () => {
    // 1024 tokens per slot: the tiny vocabulary spells tool schemas out almost letter by letter.
    fixture = await startTinyWorker(
      { WORKER_CONTEXT_SIZE: '1024' },
      { reply: 'Hello big world', pooling: 'mean' },
    );
    sut = fixture.client;
  });

  afterAll(() => fixture?.close());

  describe('Generate', () => {
    it('streams the reply as ordered text deltas with token ids (the first with the prompt usage), then finish reason, usage and timings', async () => {
      const messages = await generate(sut, { messages: [userMessage('hi')], sampling: greedy });

      expect(messages.map((m) => m.text)).toEqual(['Hello', ' big', ' world', '']);
      expect(messages.slice(0, 3).every((m) => m.tokenIds.length === 1)).toBe(true);
      expect(
        messages.slice(0, 3).every((m) => m.finishReason === FinishReason.FINISH_REASON_UNSPECIFIED),
      ).toBe(true);
      const last = messages[3];
      expect(last.finishReason).toBe(FinishReason.FINISH_REASON_STOP);
      expect(last.usage).toMatchObject({ completionTokens: 3 });
      expect(last.usage?.totalTokens).toBe((last.usage?.promptTokens ?? 0) + 3);
      expect(last.timings?.timeToFirstToken).toBeTruthy();
      expect(last.timings?.total).toBeTruthy();
      // The prompt's usage comes first, so a stream cut before its end is still billed for its prompt.
      expect(messages[0].usage).toEqual({
        promptTokens: last.usage?.promptTokens,
        completionTokens: 0,
        totalTokens: last.usage?.promptTokens,
        cachedPromptTokens: last.usage?.cachedPromptTokens,
      });
      expect(messages.slice(1, 3).every((m) => m.usage == null)).toBe(true);
    });

    it('stops before a stop sequence and never sends it; stops at max_tokens with LENGTH', async () => {
      const stopped = await generate(sut, {
        messages: [userMessage('hi')],
        sampling: { temperature: 0, stop: [' big'] },
      });
      const cut = await generate(sut, {
        messages: [userMessage('hi')],
        sampling: { ...greedy, maxTokens: 2 },
      });

      expect(textOf(stopped)).toBe('Hello');
      expect(stopped[stopped.length - 1].finishReason).toBe(FinishReason.FINISH_REASON_STOP);
      expect(textOf(cut)).toBe('Hello big');
      expect(cut[cut.length - 1].finishReason).toBe(FinishReason.FINISH_REASON_LENGTH);
    });

    it('reports cached prompt tokens on the second turn of a conversation', async () => {
      const first = await generate(sut, {
        messages: [userMessage('remember me')],
        cacheSalt: 'tenant-conversation',
        sampling: greedy,
      });
      const second = await generate(sut, {
        messages: [userMessage('remember me'), assistantMessage(textOf(first)), userMessage('and again')],
        cacheSalt: 'tenant-conversation',
        sampling: greedy,
      });
      const otherTenant = await generate(sut, {
        messages: [userMessage('remember me'), assistantMessage(textOf(first)), userMessage('and again')],
        cacheSalt: 'another-tenant',
        sampling: greedy,
      });

      const firstUsage = first[first.length - 1].usage!;
      const secondUsage = second[second.length - 1].usage!;
      expect(secondUsage.cachedPromptTokens).toBeGreaterThanOrEqual(firstUsage.promptTokens);
      expect(secondUsage.cachedPromptTokens).toBeLessThan(secondUsage.promptTokens);
      // Another salt never shares the conversation's cache (at most the BOS token is common).
      expect(otherTenant[otherTenant.length - 1].usage!.cachedPromptTokens).toBeLessThanOrEqual(1);
    });

    it('keeps json_schema output valid against the schema on 20 seeds', async () => {
      const schema = {
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 16 },
          age: { type: 'integer' },
          member: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string', enum: ['red', 'blue'] }, maxItems: 3 },
        },
        required: ['name', 'age', 'member', 'tags'],
        additionalProperties: false,
      };
      const validate = new Ajv().compile(schema);
      const outputs: string[] = [];
      for (let batch = 0; batch < 5; batch++) {
        const results = await Promise.all(
          [0, 1, 2, 3].map((i) =>
            generate(sut, {
              messages: [userMessage('describe a person as JSON')],
              responseFormat: jsonSchemaFormat(schema),
              sampling: { temperature: 1, seed: 100 + batch * 4 + i, maxTokens: 160, stop: [] },
            }),
          ),
        );
        for (const messages of results) {
          expect(messages[messages.length - 1].finishReason).toBe(FinishReason.FINISH_REASON_STOP);
          outputs.push(textOf(messages));
        }
      }

      const invalid = outputs.filter((text) => !validate(JSON.parse(text)));
      expect(invalid).toEqual([]);
      expect(new Set(outputs).size).toBeGreaterThan(1);
    });

    it('follows anyOf (as oneOf) and an allOf of one subschema (merged) in the grammar', async () => {
      const schema = {
        type: 'object',
        properties: {
          size: { anyOf: [{ type: 'boolean' }, { enum: ['small', 'large'] }] },
          owner: { allOf: [{ $ref: '#/$defs/owner' }], description: 'who has it' },
        },
        required: ['size', 'owner'],
        additionalProperties: false,
        $defs: { owner: { enum: ['ada', 'bob'] } },
      };
      const validate = new Ajv().compile(schema);
      const results = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          generate(sut, {
            messages: [userMessage('a size as JSON')],
            responseFormat: jsonSchemaFormat(schema),
            sampling: { temperature: 1, seed: 200 + i, maxTokens: 40, stop: [] },
          }),
        ),
      );

      const outputs = results.map(textOf);
      expect(outputs.filter((text) => !validate(JSON.parse(text)))).toEqual([]);
    });

    it('forces a named tool: one call with a generated id whose arguments parse and match the schema', async () => {
      const messages = await generate(sut, {
        messages: [userMessage('What is the weather in Paris?')],
        tools: [tool('get_weather', weatherParameters), tool('get_time', { type: 'object', properties: {} })],
        toolChoice: {
          mode: ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
          name: 'get_weather',
          disableParallelCalls: false,
        },
        sampling: { temperature: 0.7, seed: 7, maxTokens: 120, stop: [] },
      });

      const deltas = messages.flatMap((m) => m.toolCallDeltas);
      expect(messages.every((m) => m.text === '')).toBe(true);
      expect(deltas[0]).toMatchObject({
        index: 0,
        name: 'get_weather',
        id: expect.stringMatching(/^call_\w{20,}$/),
      });
      expect(deltas.slice(1).every((d) => d.index === 0 && d.id === '' && d.name === '')).toBe(true);
      const args: unknown = JSON.parse(deltas.map((d) => d.argumentsFragment).join(''));
      expect(new Ajv().compile(weatherParameters)(args)).toBe(true);
      expect(messages[messages.length - 1].finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
    });

    it('with tool_choice required and several tools, returns one complete call of one of them', async () => {
      const timeParameters = {
        type: 'object',
        properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } },
        required: ['zone'],
      };
      const messages = await generate(sut, {
        messages: [userMessage('What time is it?')],
        tools: [tool('get_weather', weatherParameters), tool('get_time', timeParameters)],
        toolChoice: { mode: ToolChoiceMode.TOOL_CHOICE_MODE_REQUIRED, name: '', disableParallelCalls: false },
        sampling: { temperature: 0.7, seed: 3, maxTokens: 120, stop: [] },
      });

      const deltas = messages.flatMap((m) => m.toolCallDeltas);
      expect(deltas).toHaveLength(1);
      const [call] = deltas;
      expect(['get_weather', 'get_time']).toContain(call.name);
      const schema = call.name === 'get_time' ? timeParameters : weatherParameters;
      expect(new Ajv().compile(schema)(JSON.parse(call.argumentsFragment))).toBe(true);
      expect(messages[messages.length - 1].finishReason).toBe(FinishReason.FINISH_REASON_TOOL_CALLS);
    });

    it('offers tools through the chat template with tool_choice auto, and answers in text when none is called', async () => {
      const tools = [tool('get_weather', weatherParameters)];
      const tokenize = (withTools: commonV1.ToolDefinition[]) =>
        sut.tokenize({
          modelId: 'tiny',
          text: '',
          messages: [userMessage('hi')],
          tools: withTools,
          returnTokenIds: false,
          chatTemplate: '',
        });

      const messages = await generate(sut, {
        messages: [userMessage('hi')],
        tools,
        toolChoice: { mode: ToolChoiceMode.TOOL_CHOICE_MODE_AUTO, name: '', disableParallelCalls: false },
        sampling: greedy,
      });

      expect(fixture.worker.engine.info.functionCallSyntax).toEqual({
        prefix: '||call: ',
        paramsPrefix: '(',
        suffix: ')',
      });
      expect((await tokenize(tools)).tokenCount).toBeGreaterThan((await tokenize([])).tokenCount + 20);
      expect(messages[messages.length - 1].usage?.promptTokens).toBe((await tokenize(tools)).tokenCount);
      expect(textOf(messages)).toBe('Hello big world');
      expect(messages.flatMap((m) => m.toolCallDeltas)).toEqual([]);
      expect(messages[messages.length - 1].finishReason).toBe(FinishReason.FINISH_REASON_STOP);
    });

    it('refuses a forced tool that was not offered, and malformed tool parameters, naming the field', async () => {
      const unknownTool = await rejection(
        generate(sut, {
          messages: [userMessage('hi')],
          tools: [tool('get_weather', weatherParameters)],
          toolChoice: {
            mode: ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
            name: 'launch_rocket',
            disableParallelCalls: false,
          },
        }),
      );
      const badParameters = await rejection(
        generate(sut, {
          messages: [userMessage('hi')],
          tools: [tool('get_weather', '{"type": "object", "properties": ')],
          toolChoice: {
            mode: ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
            name: 'get_weather',
            disableParallelCalls: false,
          },
        }),
      );

      expect(unknownTool).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(unknownTool.message).toContain('tool_choice.name');
      expect(badParameters).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(badParameters.trailers['invalid-fields']).toBe('tools[0].parameters');
    });

    it.each([
      ['a negative temperature', { sampling: { temperature: -0.5, stop: [] } }, 'temperature'],
      ['max_tokens 0', { sampling: { maxTokens: 0, stop: [] } }, 'max_tokens'],
      ['a prompt longer than the context', { messages: [userMessage('word '.repeat(1500))] }, 'messages'],
      [
        'a schema that is not JSON',
        { responseFormat: jsonSchemaFormat('{"type": ') },
        'response_format.json_schema.schema',
      ],
      [
        'a schema that is not a JSON schema',
        { responseFormat: jsonSchemaFormat({ type: 'object', properties: { a: { type: 'colour' } } }) },
        'response_format.json_schema.schema',
      ],
      [
        'a schema with a keyword a grammar cannot follow (allOf)',
        { responseFormat: jsonSchemaFormat({ allOf: [{ type: 'object' }, { required: ['a'] }] }) },
        'response_format.json_schema.schema',
      ],
      ['both messages and a prompt', { prompt: 'also this' }, 'messages,prompt'],
    ])('answers %s with INVALID_ARGUMENT naming the field', async (_case, overrides, field) => {
      const error = await rejection(
        generate(sut, {
          messages: [userMessage('hi')],
          ...(overrides as Partial<inferenceV1.GenerateRequest>),
        }),
      );

      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.message).toContain(field.split(',')[0]);
      expect(error.trailers['invalid-fields']).toBe(field);
    });

    it('answers an unknown model with NOT_FOUND, and an empty model_id as the loaded model', async () => {
      const error = await rejection(generate(sut, { modelId: 'gpt-9', messages: [userMessage('hi')] }));
      const unnamed = await generate(sut, { modelId: '', messages: [userMessage('hi')], sampling: greedy });

      expect(error).toMatchObject({ code: status.NOT_FOUND });
      expect(error.message).toContain('gpt-9');
      expect(textOf(unnamed)).toBe('Hello big world');
    });

    it('answers a request whose deadline has passed with DEADLINE_EXCEEDED', async () => {
      const error = await rejection(
        generate(sut, { messages: [userMessage('hi')], deadline: new Date(Date.now() - 1_000) }),
      );

      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    });
  });

  describe('Tokenize, Embed and Stats', () => {
    it('counts chat messages exactly as Generate bills them, and raw text verbatim', async () => {
      const messages = [userMessage('count these words please')];
      const counted = await sut.tokenize({
        modelId: 'tiny',
        text: '',
        messages,
        tools: [],
        returnTokenIds: false,
        chatTemplate: '',
      });
      const generated = await generate(sut, { messages, sampling: greedy });
      const raw = await sut.tokenize({
        modelId: 'tiny',
        text: 'hello world',
        messages: [],
        tools: [],
        returnTokenIds: true,
        chatTemplate: '',
      });

      expect(counted.tokenCount).toBe(generated[generated.length - 1].usage?.promptTokens);
      expect(counted.tokenIds).toEqual([]);
      expect(raw.tokenIds).toHaveLength(raw.tokenCount);
      expect(raw.tokenCount).toBeGreaterThan(0);
    });

    it('refuses Tokenize with neither text nor messages', async () => {
      const error = await rejection(
        sut.tokenize({
          modelId: 'tiny',
          text: '',
          messages: [],
          tools: [],
          returnTokenIds: false,
          chatTemplate: '',
        }),
      );

      expect(error.code).toBe(status.INVALID_ARGUMENT);
    });

    it('embeds each input into a unit vector with its token count', async () => {
      const response = await sut.embed({
        requestId: 'embed-1',
        modelId: 'tiny',
        inputs: ['the cat sat', 'a different sentence', 'the cat sat'],
      });

      expect(response.embeddings).toHaveLength(3);
      const norm = Math.hypot(...response.embeddings[0].values);
      expect(norm).toBeCloseTo(1, 4);
      expect(response.embeddings[0].values).toEqual(response.embeddings[2].values);
      expect(response.usage?.promptTokens).toBe(
        response.embeddings.reduce((sum, e) => sum + e.tokenCount, 0),
      );
    });

    it('names the bad embedding input', async () => {
      const empty = await rejection(sut.embed({ requestId: 'e', modelId: 'tiny', inputs: ['ok', ''] }));
      const tooMany = await rejection(
        sut.embed({
          requestId: 'e',
          modelId: 'tiny',
          inputs: Array.from({ length: 257 }, () => 'x'),
        }),
      );

      expect(empty).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(empty.trailers['invalid-fields']).toBe('inputs[1]');
      expect(tooMany.trailers['invalid-fields']).toBe('inputs');
    });

    it('reports identity, capacity and load in Stats', async () => {
      const stats = await sut.stats({});
      const sha256 = createHash('sha256')
        .update(await readFile(fixture.worker.engine.info.modelPath))
        .digest('hex');

      expect(stats).toMatchObject({
        modelId: 'tiny',
        modelSha256: sha256,
        contextLength: 1024,
        backend: inferenceV1.Backend.BACKEND_CPU,
        slotsTotal: 4,
        slotsFree: 4,
        queueDepth: 0,
        kvCellsTotal: 4 * 1024,
        draining: false,
      });
      expect(stats.workerId).not.toBe('');
      expect(stats.kvCellsUsed).toBeGreaterThan(0); // earlier requests' prefixes stay cached
      expect(stats.tokensPerSecond).toBeGreaterThan(0);
      expect(stats.prefixCacheHitRatio).toBeGreaterThan(0);
    });
  });

  describe('health and metrics', () => {
    it('reports SERVING for the server and for InferenceWorkerService', async () => {
      for (const service of ['', 'hearth.inference.v1.InferenceWorkerService']) {
        const response = await fixture.health.check({ service });
        expect(response.status).toBe(healthV1.HealthCheckResponse_ServingStatus.SERVING);
      }
    });

    it('exposes the latency, token, batching, cache and capacity series on /metrics', async () => {
      const body = await scrapeMetrics(fixture.worker.metricsPort);

      for (const series of [
        'hearth_inference_time_to_first_token_seconds_count',
        'hearth_inference_inter_token_latency_seconds_count',
        'hearth_inference_generated_tokens_total',
        'hearth_inference_batch_sequences_count',
        'hearth_inference_cached_prompt_tokens_total',
      ])
        expect(metricValue(body, series)).toBeGreaterThan(0);
      for (const series of [
        'hearth_inference_queue_depth',
        'hearth_inference_active_slots',
        'hearth_inference_kv_cells_used',
        'hearth_inference_prefix_cache_hit_ratio',
        'hearth_inference_draft_tokens_proposed_total',
        'hearth_inference_draft_tokens_accepted_total',
      ])
        expect(body).toMatch(new RegExp(`^${series}\\{model_id="tiny"\\} `, 'm'));
      expect(
        metricValue(body, 'hearth_inference_requests_total', { outcome: 'InvalidRequestError' }),
      ).toBeGreaterThan(0);
    });

    it('answers 404 off the /metrics path', async () => {
      const response = await fetch(`http://127.0.0.1:${fixture.worker.metricsPort}/other`);

      expect(response.status).toBe(404);
    });
  });
});
