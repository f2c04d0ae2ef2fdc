// OpenAI request → RunTurnRequest: every field lands where the orchestrator expects it, and the
// semantic checks OpenAI makes beyond types are 400s naming the parameter.
import { commonV1 } from '@hearth/contracts';

import { ApiError } from '../errors/api.error';
import { idempotencyKeyHeader, toRunTurnRequest } from './chat-request.mapper';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from './chat.schemas';

const identity = {
  caller: { tenantId: 't', userId: 'u', apiKeyId: 'k' },
  requestId: 'req_1',
  idempotencyKey: 'idem',
};

const parse = (body: object): ChatCompletionRequest => chatCompletionRequestSchema.parse(body);
const sut = (body: object) => toRunTurnRequest(parse(body), identity);
const paramOf = (body: object): string | null => {
  try {
    sut(body);
  } catch (error) {
    if (error instanceof ApiError) return error.param;
    throw error;
  }
  throw new Error('expected a 400');
};

describe(toRunTurnRequest.name, () => {
  const base = { model: 'tiny', messages: [{ role: 'user', content: 'hi' }] };

  it('maps messages of every role, content parts and tool calls', () => {
    const request = sut({
      ...base,
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'developer', content: [{ type: 'text', text: 'dev' }] },
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"ok":true}' },
      ],
    });
    expect(request.messages.map((m) => m.role)).toEqual([
      commonV1.Role.ROLE_SYSTEM,
      commonV1.Role.ROLE_DEVELOPER,
      commonV1.Role.ROLE_USER,
      commonV1.Role.ROLE_ASSISTANT,
      commonV1.Role.ROLE_TOOL,
    ]);
    expect(request.messages[2]).toMatchObject({
      name: 'ann',
      content: [
        { text: 'look' },
        { image: { url: 'https://x/y.png', detail: commonV1.ImageDetail.IMAGE_DETAIL_LOW } },
      ],
    });
    expect(request.messages[3]?.toolCalls).toEqual([{ id: 'call_1', name: 'f', argumentsJson: '{}' }]);
    expect(request.messages[4]).toMatchObject({ toolCallId: 'call_1', content: [{ text: '{"ok":true}' }] });
    expect(request).toMatchObject({ requestId: 'req_1', idempotencyKey: 'idem', conversationId: '' });
  });

  it('maps sampling, stop, seed, tools, tool_choice and response_format', () => {
    const request = sut({
      ...base,
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 10,
      stop: 'END',
      seed: -1,
      frequency_penalty: 0.1,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 's', schema: { type: 'object' }, strict: true },
      },
      conversation_id: '5e2d7a10-3c4b-4f8e-a1d2-7c9b0e6f5a43',
    });
    expect(request.sampling).toMatchObject({
      temperature: 0.5,
      topP: 0.9,
      maxTokens: 10,
      stop: ['END'],
      seed: 4294967295,
      frequencyPenalty: 0.1,
    });
    expect(request.tools).toEqual([
      { name: 'f', description: '', parametersJsonSchema: '{"type":"object"}', strict: true },
    ]);
    expect(request.toolChoice).toEqual({
      mode: commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
      name: 'f',
      disableParallelCalls: false,
    });
    expect(request.responseFormat).toEqual({
      type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
      schemaName: 's',
      schemaJson: '{"type":"object"}',
      strict: true,
    });
    expect(request.conversationId).toBe('5e2d7a10-3c4b-4f8e-a1d2-7c9b0e6f5a43');
    expect(sut({ ...base, max_completion_tokens: 7 }).sampling?.maxTokens).toBe(7);
  });

  it('names the parameter of every semantic refusal', () => {
    expect(paramOf({ ...base, n: 3 })).toBe('n');
    expect(paramOf({ ...base, stream_options: { include_usage: true } })).toBe('stream_options');
    expect(paramOf({ ...base, max_tokens: 5, max_completion_tokens: 6 })).toBe('max_tokens');
    expect(paramOf({ ...base, tool_choice: 'required' })).toBe('tool_choice');
    expect(
      paramOf({
        ...base,
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: { type: 'function', function: { name: 'g' } },
      }),
    ).toBe('tool_choice.function.name');
    expect(paramOf({ ...base, response_format: { type: 'json_schema', json_schema: { name: 's' } } })).toBe(
      'response_format.json_schema.schema',
    );
    expect(paramOf({ ...base, messages: [{ role: 'assistant', content: null }] })).toBe(
      'messages[0].content',
    );
  });

  it('refuses a schema the platform cannot follow as response_format, with what is wrong', () => {
    const format = (schema: Record<string, unknown>) => ({
      ...base,
      response_format: { type: 'json_schema', json_schema: { name: 's', schema } },
    });
    const refusal = (schema: Record<string, unknown>) => {
      try {
        sut(format(schema));
      } catch (error) {
        return error as ApiError;
      }
      throw new Error('accepted');
    };

    expect(refusal({ type: 'object', not: { required: ['a'] } })).toMatchObject({
      status: 400,
      param: 'response_format',
      code: 'invalid_value',
      message: expect.stringMatching(
        /^Invalid schema for response_format 's': schema: 'not' is not supported/,
      ),
    });
    expect(refusal({ type: 'strnig' }).message).toContain('not a valid JSON Schema');
    expect(
      sut(format({ type: 'object', properties: { a: { type: 'string' } } })).responseFormat?.schemaJson,
    ).toBe('{"type":"object","properties":{"a":{"type":"string"}}}');
  });

  it('passes parallel_tool_calls false on as a tool choice that disables parallel calls', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(sut({ ...base, tools }).toolChoice).toBeNull();
    expect(sut({ ...base, tools, parallel_tool_calls: false }).toolChoice).toEqual({
      mode: commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_UNSPECIFIED,
      name: '',
      disableParallelCalls: true,
    });
    expect(sut({ ...base, tools, tool_choice: 'auto', parallel_tool_calls: false }).toolChoice).toMatchObject(
      {
        mode: commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_AUTO,
        disableParallelCalls: true,
      },
    );
  });

  it('pairs every tool message with a call of the assistant message before it, as OpenAI does', () => {
    const call = (id: string) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } });
    const asked = { role: 'assistant', content: null, tool_calls: [call('call_a'), call('call_b')] };
    const result = (id: string) => ({ role: 'tool', tool_call_id: id, content: 'ok' });
    const tools = [{ type: 'function', function: { name: 'f' } }];
    const user = { role: 'user', content: 'hi' };

    expect(
      sut({ ...base, tools, messages: [user, asked, result('call_b'), result('call_a')] }),
    ).toBeDefined();
    expect(paramOf({ ...base, messages: [user, asked, result('call_a'), result('call_x')] })).toBe(
      'messages.[3].tool_call_id',
    );
    expect(paramOf({ ...base, messages: [user, asked, result('call_a'), user] })).toBe('messages.[1].role');
    expect(paramOf({ ...base, messages: [user, asked, result('call_b')] })).toBe('messages.[1].role');
    expect(paramOf({ ...base, messages: [user, result('call_a')] })).toBe('messages.[1].role');
    // With a stored conversation the answered calls are in its history.
    expect(
      sut({ ...base, conversation_id: '5e2d7a10-3c4b-4f8e-a1d2-7c9b0e6f5a43', messages: [result('call_a')] }),
    ).toBeDefined();
  });

  it('rejects the deprecated function role and unknown fields at the schema', () => {
    expect(
      chatCompletionRequestSchema.safeParse({
        ...base,
        messages: [{ role: 'function', content: 'x', name: 'f' }],
      }).success,
    ).toBe(false);
    expect(chatCompletionRequestSchema.safeParse({ ...base, functions: [] }).success).toBe(false);
    expect(chatCompletionRequestSchema.safeParse({ ...base, logprobs: true }).success).toBe(false);
  });

  it('maps the retrieval extension (file_ids shorthand or retrieval object) and leaves it unset otherwise', () => {
    expect(sut(base).retrieval).toBeNull();
    expect(sut({ ...base, file_ids: ['f1', 'f2'] }).retrieval).toEqual({
      enabled: true,
      fileIds: ['f1', 'f2'],
      topK: 0,
      query: '',
    });
    expect(sut({ ...base, retrieval: { top_k: 4, query: 'lanterns' } }).retrieval).toEqual({
      enabled: true,
      fileIds: [],
      topK: 4,
      query: 'lanterns',
    });
    expect(paramOf({ ...base, file_ids: ['f1'], retrieval: { file_ids: ['f1'] } })).toBe('file_ids');
    expect(chatCompletionRequestSchema.safeParse({ ...base, retrieval: { top_k: 21 } }).success).toBe(false);
    expect(chatCompletionRequestSchema.safeParse({ ...base, file_ids: [] }).success).toBe(false);
  });

  it('maps server tools and their round limit; a forced choice may name a server tool', () => {
    const request = sut({
      ...base,
      server_tools: ['calculator'],
      tool_choice: { type: 'function', function: { name: 'calculator' } },
      max_tool_rounds: 2,
    });
    expect(request.serverToolNames).toEqual(['calculator']);
    expect(request.toolChoice).toEqual({
      mode: commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED,
      name: 'calculator',
      disableParallelCalls: false,
    });
    expect(request.maxToolRounds).toBe(2);
    expect(
      paramOf({
        ...base,
        tools: [{ type: 'function', function: { name: 'calculator' } }],
        server_tools: ['calculator'],
      }),
    ).toBe('tools');
    expect(chatCompletionRequestSchema.safeParse({ ...base, max_tool_rounds: 0 }).success).toBe(false);
  });
});

describe(idempotencyKeyHeader.name, () => {
  it('takes a printable-ASCII key of up to 255 characters, and none', () => {
    expect(idempotencyKeyHeader('order-42 retry:1')).toBe('order-42 retry:1');
    expect(idempotencyKeyHeader('x'.repeat(255))).toBe('x'.repeat(255));
    expect(idempotencyKeyHeader(undefined)).toBe('');
  });

  it('refuses what gRPC metadata cannot carry, and an over-long key, naming the header', () => {
    for (const bad of ['tab\there', 'caf\u00e9', 'nul\u0000', 'x'.repeat(256)]) {
      let refusal: unknown;
      try {
        idempotencyKeyHeader(bad);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(ApiError);
      expect(refusal).toMatchObject({ status: 400, param: 'Idempotency-Key' });
    }
  });
});
