import { commonV1, inferenceV1, prefixFingerprint, reportedPrefix } from '@hearth/contracts';

import { InvalidRequestError } from '../engine/engine.errors';
import { toGenerationRequest } from './generate-request.mapper';

const user = (text: string, role = commonV1.Role.ROLE_USER): commonV1.ChatMessage => ({
  role,
  content: [{ text }],
  name: '',
  toolCalls: [],
  toolCallId: '',
});
const wire = (overrides: Partial<inferenceV1.GenerateRequest> = {}): inferenceV1.GenerateRequest => ({
  requestId: 'req-1',
  modelId: 'm',
  messages: [user('hi')],
  prompt: '',
  tools: [],
  priority: commonV1.PriorityTier.PRIORITY_TIER_UNSPECIFIED,
  cacheSalt: '',
  chatTemplate: '',
  ...overrides,
});

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidRequestError) return error.problems.map((p) => p.field);
    throw error;
  }
  throw new Error('expected an InvalidRequestError');
}

describe(toGenerationRequest.name, () => {
  it('keeps unset optional sampling fields unset and explicit zeros as zeros', () => {
    const { request } = toGenerationRequest(
      wire({ sampling: { temperature: 0, topP: null, seed: 0, stop: [] } }),
    );
    expect(request.sampling).toEqual({
      temperature: 0,
      topP: undefined,
      topK: undefined,
      minP: undefined,
      seed: 0,
      repetitionPenalty: undefined,
      frequencyPenalty: undefined,
      presencePenalty: undefined,
      maxTokens: undefined,
      stop: undefined,
    });
  });

  it('maps roles, priority, salt, response format and the earlier of the two deadlines', () => {
    const { request } = toGenerationRequest(
      wire({
        messages: [user('be brief', commonV1.Role.ROLE_SYSTEM), user('hi')],
        priority: commonV1.PriorityTier.PRIORITY_TIER_LOW,
        cacheSalt: 'tenant-a',
        deadline: new Date(5_000),
        responseFormat: {
          type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
          schemaName: 'x',
          schemaJson: '{"type":"object"}',
          strict: true,
        },
      }),
      { callDeadline: 4_000 },
    );
    expect(request).toMatchObject({
      requestId: 'req-1',
      input: {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
        ],
      },
      priority: 'low',
      cacheSalt: 'tenant-a',
      deadlineAt: 4_000,
      responseFormat: { type: 'json_schema', schema: { type: 'object' }, name: 'x' },
    });
    expect(toGenerationRequest(wire(), { callDeadline: Infinity }).request.deadlineAt).toBeUndefined();
  });

  it('describes the prefix the slot will hold exactly as the gateway hashes the request it sends', () => {
    const long = wire({ messages: [user('tell me about the sea '.repeat(40))], cacheSalt: 'tenant-a' });

    const { heldPrefix } = toGenerationRequest(long).request;

    expect(heldPrefix).toEqual(reportedPrefix(prefixFingerprint(long)));
    expect(heldPrefix?.blockCount).toBeGreaterThan(2);
    expect(toGenerationRequest(wire({ ...long, cacheSalt: 'tenant-b' })).request.heldPrefix?.scope).not.toBe(
      heldPrefix?.scope,
    );
  });

  it('renders tool traffic as text the model can read', () => {
    const assistant: commonV1.ChatMessage = {
      ...user('', commonV1.Role.ROLE_ASSISTANT),
      content: [],
      toolCalls: [{ id: 'call_1', name: 'weather', argumentsJson: '{"city":"Oslo"}' }],
    };
    const result: commonV1.ChatMessage = { ...user('cold', commonV1.Role.ROLE_TOOL), toolCallId: 'call_1' };
    const { request } = toGenerationRequest(wire({ messages: [user('weather?'), assistant, result] }));
    expect(request.input).toEqual({
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '[tool call call_1: weather({"city":"Oslo"})]' },
        { role: 'user', content: '[tool result for call_1]\ncold' },
      ],
    });
  });

  it('names every bad field at once', () => {
    expect(fieldsOf(() => toGenerationRequest(wire({ prompt: 'too' })))).toEqual(['messages', 'prompt']);
    expect(fieldsOf(() => toGenerationRequest(wire({ messages: [] })))).toEqual(['messages', 'prompt']);
    expect(
      fieldsOf(() =>
        toGenerationRequest(
          wire({
            messages: [
              { ...user('x'), role: commonV1.Role.ROLE_UNSPECIFIED },
              { ...user('x'), content: [{ image: { url: 'https://x', detail: 0 } }] },
              { ...user('x', commonV1.Role.ROLE_TOOL) },
            ],
          }),
        ),
      ),
    ).toEqual(['messages[0].role', 'messages[1].content[0]', 'messages[2].tool_call_id']);
    expect(
      fieldsOf(() =>
        toGenerationRequest(
          wire({
            responseFormat: {
              type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
              schemaName: '',
              schemaJson: '[]',
              strict: false,
            },
          }),
        ),
      ),
    ).toEqual(['response_format.json_schema.schema']);
  });
});
