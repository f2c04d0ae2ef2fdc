import { ApiError } from '../errors/api.error';
import { checkSemantics, toChatRequest, toStoredInputItems, toTranscript } from './responses-request.mapper';
import type { CreateResponseRequest } from './responses.schemas';

const request = (extra: Partial<CreateResponseRequest> = {}): CreateResponseRequest => ({
  model: 'tiny',
  input: 'Hi',
  ...extra,
});

describe('responses request mapping', () => {
  it('puts instructions first as a developer message, then the chain, then this input', () => {
    const chain = toTranscript([], [{ role: 'user', content: 'Earlier' }]);
    const sut = toChatRequest(
      request({ instructions: 'Be brief.' }),
      toTranscript(chain, [{ role: 'user', content: 'Hi' }]),
    );

    expect(sut.messages).toEqual([
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: 'Earlier' },
      { role: 'user', content: 'Hi' },
    ]);
  });

  it('folds function calls into one assistant message and their outputs into tool messages', () => {
    const sut = toTranscript(
      [],
      [
        { role: 'assistant', content: 'Let me look.' },
        { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'b', arguments: '{"x":1}' },
        { type: 'function_call_output', call_id: 'c1', output: 'one' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
      ],
    );

    expect(sut).toEqual([
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
    ]);
  });

  it('maps text.format json_schema, function tools and a named tool_choice to the chat request', () => {
    const sut = toChatRequest(
      request({
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' }, strict: true }],
        tool_choice: { type: 'function', name: 'get_weather' },
        text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' } } },
        max_output_tokens: 20,
      }),
      [],
    );

    expect(sut.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' }, strict: true } },
    ]);
    expect(sut.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(sut.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'w', schema: { type: 'object' }, strict: undefined },
    });
    expect(sut.max_completion_tokens).toBe(20);
  });

  it('refuses a text.format schema the platform cannot follow, naming text.format', () => {
    const withSchema = (schema: Record<string, unknown>) =>
      request({ text: { format: { type: 'json_schema', name: 'w', schema } } });

    expect(() => checkSemantics(withSchema({ type: 'object' }))).not.toThrow();
    let refusal: unknown;
    try {
      checkSemantics(withSchema({ type: 'object', patternProperties: { '^a': { type: 'string' } } }));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({
      status: 400,
      param: 'text.format',
      message: expect.stringContaining("Invalid schema for text.format 'w': schema: 'patternProperties'"),
    });
  });

  it('gives every input item an id and a type, a string input being one user message', () => {
    const [item] = toStoredInputItems('Hi');

    expect(item).toEqual({
      type: 'message',
      id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
      status: 'completed',
      role: 'user',
      content: [{ type: 'input_text', text: 'Hi' }],
    });
  });

  it.each([
    ['store', { background: true, store: false }],
    ['previous_response_id', { conversation: 'conv_1', previous_response_id: 'resp_1' }],
  ])('refuses a request it cannot honour with a 400 naming %s', (param, extra) => {
    const call = () => toChatRequest(request(extra), []);

    expect(call).toThrow(ApiError);
    expect(call).toThrow(expect.objectContaining({ status: 400, param }));
  });

  it('answers 404 naming conversation for an id that cannot be a conversation', () => {
    expect(() => toChatRequest(request({ conversation: 'conv_1' }), [])).toThrow(
      expect.objectContaining({ status: 404, param: 'conversation' }),
    );
  });

  it('refuses an image in a system message and an inline file, naming where', () => {
    expect(() =>
      toTranscript([], [{ role: 'system', content: [{ type: 'input_image', image_url: 'http://x/y.png' }] }]),
    ).toThrow(expect.objectContaining({ status: 400, param: 'input[0].content[0]' }));
    expect(() =>
      toTranscript([], [{ role: 'user', content: [{ type: 'input_file', file_data: 'aGk=' }] }]),
    ).toThrow(expect.objectContaining({ status: 400, param: 'input[0].content[0].file_id' }));
  });
});
