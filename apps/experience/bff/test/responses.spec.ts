// OpenAI's Responses API end to end through the official `openai` SDK: BFF → orchestrator (with
// safety, context service and tool runner) → model gateway → inference worker on the tiny GGUF, real
// PostgreSQL, Redis and Kafka. Every response, stream event and input-item list is validated against
// OpenAI's published schemas; the bad cases (unknown or foreign ids, unsupported parameters, bad
// input) answer in OpenAI's error envelope.
import { randomUUID } from 'node:crypto';

import OpenAI from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import type { ResponseObject } from '../src/responses/response.builder';
import { ResponseStore } from '../src/responses/response.store';
import { expectOpenAiShape } from './support/openai-schemas';
import { LONG_MODEL_ID, MODEL_ID, startStack, TINY_REPLY, type Stack } from './support/stack.fixture';

/** A driver lease this short lets a replica take over a dead one's response within seconds. */
const DRIVER_LEASE_MS = '1500';

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  // An enum keeps the tiny model's grammar-constrained arguments short and deterministic.
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', enum: ['Paris', 'Rome'] } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};

describe('/v1/responses', () => {
  let stack: Stack;
  let key: CreatedKey;
  let sut: OpenAI;

  beforeAll(async () => {
    // A tool's schema and a function call's round trip need more than the default 512-token context.
    stack = await startStack({
      orchestration: true,
      longModel: true,
      contextSize: 2048,
      bffEnv: { RESPONSES_DRIVER_LEASE_MS: DRIVER_LEASE_MS },
    });
    key = await stack.tenant('responses');
    sut = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('answers a text input in OpenAI shape, stored and readable back', async () => {
    const response = await sut.responses.create({
      model: MODEL_ID,
      input: 'Say hello',
      instructions: 'Be brief.',
      temperature: 0,
      max_output_tokens: 16,
      metadata: { purpose: 'spec' },
    });

    expectOpenAiShape('Response', response);
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: MODEL_ID,
      instructions: 'Be brief.',
      metadata: { purpose: 'spec' },
      store: true,
    });
    expect(response.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(response.output_text.trim()).toBe(TINY_REPLY);
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.usage?.input_tokens_details.cached_tokens).toEqual(expect.any(Number));
    const read = await sut.responses.retrieve(response.id);
    expectOpenAiShape('Response', read);
    expect(read.output).toEqual(response.output);
    const raw = await fetch(`${stack.baseURL}/responses/${response.id}/input_items`, {
      headers: { authorization: `Bearer ${key.secret}` },
    });
    expectOpenAiShape('ResponseItemList', await raw.json());
    const items = await sut.responses.inputItems.list(response.id);
    expect(items.data).toEqual([
      expect.objectContaining({
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'Say hello' }],
      }),
    ]);
  });

  it('streams the event sequence OpenAI specifies, numbered, that the SDK reassembles', async () => {
    const stream = sut.responses.stream({ model: MODEL_ID, input: 'Say hello', temperature: 0 });
    const events: { type: string; sequence_number: number }[] = [];
    stream.on('event', (event) => events.push(event));
    const final = await stream.finalResponse();

    events.forEach((event) => expectOpenAiShape('ResponseStreamEvent', event));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = [...new Set(events.map((e) => e.type))];
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(final.output_text.trim()).toBe(TINY_REPLY);
    expect((await sut.responses.retrieve(final.id)).status).toBe('completed');
  });

  it('writes named SSE events on the wire', async () => {
    const res = await post({ model: MODEL_ID, input: 'Say hello', stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = (await res.text()).split('\n\n').filter((e) => e && !e.startsWith(':'));
    for (const event of events) {
      const [name, data] = event.split('\n');
      expect(name).toMatch(/^event: response\.[a-z_.]+$/);
      expect(JSON.parse((data ?? '').replace(/^data: /, '')).type).toBe(name?.slice('event: '.length));
    }
  });

  it('streams a forced function call and takes its output back through previous_response_id', async () => {
    const stream = sut.responses.stream({
      model: MODEL_ID,
      input: 'What is the weather in Paris?',
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'function', name: 'get_weather' },
      temperature: 0,
    });
    const deltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (event) => deltas.push(event.delta));
    const first = await stream.finalResponse();
    expectOpenAiShape('Response', first);
    const call = first.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('expected a function call');
    expect(call.name).toBe('get_weather');
    expect(deltas.join('')).toBe(call.arguments);
    expect(['Paris', 'Rome']).toContain((JSON.parse(call.arguments) as { city: string }).city);

    const second = await sut.responses.create({
      model: MODEL_ID,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"celsius": 21}' }],
      tools: [WEATHER_TOOL],
      temperature: 0,
    });
    expectOpenAiShape('Response', second);
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text.trim()).toBe(TINY_REPLY);
  });

  it('returns json_schema output that the SDK parses', async () => {
    const response = await sut.responses.parse({
      model: MODEL_ID,
      input: 'Give me a person',
      temperature: 0,
      max_output_tokens: 100,
      text: {
        format: {
          type: 'json_schema',
          name: 'person',
          strict: true,
          schema: {
            type: 'object',
            properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' } },
            required: ['name', 'age'],
            additionalProperties: false,
          },
        },
      },
    });
    expectOpenAiShape('Response', response);
    expect(response.output_parsed).toEqual({ name: expect.any(String), age: expect.any(Number) });
  });

  it('refuses a json_schema it cannot follow with a 400 naming text.format', async () => {
    const refusal = await sut.responses
      .create({
        model: MODEL_ID,
        input: 'Give me a person',
        text: {
          format: {
            type: 'json_schema',
            name: 'person',
            schema: { type: 'object', if: { required: ['a'] } },
          },
        },
      })
      .catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refusal).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'text.format' });
    expect((refusal as Error).message).toContain("schema: 'if' is not supported for structured output");
  });

  it('chains with previous_response_id: the earlier exchange is in the next prompt', async () => {
    const first = await sut.responses.create({ model: MODEL_ID, input: 'Say hello', temperature: 0 });
    const alone = await sut.responses.create({ model: MODEL_ID, input: 'Again', temperature: 0 });
    const chained = await sut.responses.create({
      model: MODEL_ID,
      input: 'Again',
      previous_response_id: first.id,
      temperature: 0,
    });
    expect(chained.previous_response_id).toBe(first.id);
    // The prompt of the chained turn holds the first exchange (its input and its answer) as well.
    expect(chained.usage?.input_tokens).toBeGreaterThan(
      (alone.usage?.input_tokens ?? 0) + (first.usage?.output_tokens ?? 0),
    );
    // Deleting the earlier response leaves the chain built on it usable.
    await sut.responses.delete(first.id);
    const next = await sut.responses.create({
      model: MODEL_ID,
      input: 'Once more',
      previous_response_id: chained.id,
      temperature: 0,
    });
    expect(next.status).toBe('completed');
  });

  it('stores a chain as segments: each row holds its own messages, a deleted link stays until nothing continues it', async () => {
    const rows = (ids: string[]) =>
      stack.db.prisma.storedResponse.findMany({
        where: { id: { in: ids } },
        select: { id: true, transcript: true, transcriptParentId: true, deletedAt: true },
      });
    const first = await sut.responses.create({ model: MODEL_ID, input: 'Say hello', temperature: 0 });
    const second = await sut.responses.create({
      model: MODEL_ID,
      input: 'Again',
      previous_response_id: first.id,
      temperature: 0,
    });
    const third = await sut.responses.create({
      model: MODEL_ID,
      input: 'Once more',
      previous_response_id: second.id,
      temperature: 0,
    });
    // Each row: its own input and its answer, after its parent's (not the whole chain again).
    const stored = new Map((await rows([first.id, second.id, third.id])).map((row) => [row.id, row]));
    for (const [response, parent, input] of [
      [first, null, 'Say hello'],
      [second, first.id, 'Again'],
      [third, second.id, 'Once more'],
    ] as const) {
      const row = stored.get(response.id)!;
      expect(row.transcriptParentId).toBe(parent);
      expect(row.transcript).toEqual([
        { role: 'user', content: input },
        expect.objectContaining({ role: 'assistant', content: response.output_text }),
      ]);
    }

    // Deleting the middle link hides it; its segment stays, so the chain after it is still whole.
    await sut.responses.delete(second.id);
    await expectError(sut.responses.retrieve(second.id), 404, 'not_found');
    await expectError(
      sut.responses.create({ model: MODEL_ID, input: 'Hi', previous_response_id: second.id }),
      404,
      'not_found',
    );
    const fourth = await sut.responses.create({
      model: MODEL_ID,
      input: 'And again',
      previous_response_id: third.id,
      temperature: 0,
    });
    // Its prompt held the three earlier exchanges: more input than the third's, plus the third's answer.
    expect(fourth.usage?.input_tokens).toBeGreaterThan(
      (third.usage?.input_tokens ?? 0) + (third.usage?.output_tokens ?? 0),
    );
    expect((await rows([second.id]))[0]).toMatchObject({ deletedAt: expect.any(Date) });

    // Once nothing continues it, the segment goes too, and a deleted parent above it with it.
    await sut.responses.delete(first.id);
    await sut.responses.delete(fourth.id);
    await sut.responses.delete(third.id);
    expect(await rows([first.id, second.id, third.id, fourth.id])).toEqual([]);
  });

  it('stores a whole transcript when the response it continues was removed while it ran', async () => {
    const owner = await sut.responses.create({ model: MODEL_ID, input: 'Say hello', temperature: 0 });
    const { tenantId, userId } = await stack.db.prisma.storedResponse.findUniqueOrThrow({
      where: { id: owner.id },
    });
    const caller = { tenantId, userId, apiKeyId: '', scopes: new Set<string>(), rpmLimit: 0, tpmLimit: 0 };
    const transcript = [
      { role: 'user' as const, content: 'Say hello' },
      { role: 'assistant' as const, content: 'Hello' },
      { role: 'user' as const, content: 'Again' },
    ];
    const id = `resp_${randomUUID().replace(/-/g, '')}`;
    await new ResponseStore(stack.db.prisma).save(
      caller,
      {
        response: { ...(owner as unknown as ResponseObject), id, previous_response_id: 'resp_gone' },
        inputItems: [],
        transcript,
        transcriptParent: { id: 'resp_gone', length: 2 },
      },
      true,
    );
    expect(await stack.db.prisma.storedResponse.findUnique({ where: { id } })).toMatchObject({
      transcriptParentId: null,
      transcript,
    });
  });

  it('continues a stored conversation: the server keeps its history', async () => {
    const res = await fetch(`${stack.baseURL}/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'responses' }),
    });
    const conversation = (await res.json()) as { id: string };

    const first = await sut.responses.create({
      model: MODEL_ID,
      input: 'Say hello',
      conversation: conversation.id,
    });
    const second = await sut.responses.create({
      model: MODEL_ID,
      input: 'Again',
      conversation: { id: conversation.id },
    });

    expectOpenAiShape('Response', second);
    expect(second.conversation).toEqual({ id: conversation.id });
    expect(second.usage?.input_tokens).toBeGreaterThan((first.usage?.input_tokens ?? 0) + 1);
    const rows = await stack.db.prisma.message.findMany({
      where: { conversationId: conversation.id },
      orderBy: { seq: 'asc' },
    });
    expect(rows.map((row) => row.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('ends as incomplete with max_output_tokens when the budget runs out', async () => {
    const response = await sut.responses.create({
      model: LONG_MODEL_ID,
      input: 'Ramble',
      max_output_tokens: 16,
    });
    expectOpenAiShape('Response', response);
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('stores an input holding a NUL character (PostgreSQL jsonb cannot), as U+FFFD', async () => {
    const response = await sut.responses.create({ model: MODEL_ID, input: 'Say\u0000 hello' });

    const items = await sut.responses.inputItems.list(response.id);
    expect(items.data[0]).toMatchObject({ content: [{ type: 'input_text', text: 'Say\ufffd hello' }] });
  });

  it('stores nothing with store: false', async () => {
    const response = await sut.responses.create({ model: MODEL_ID, input: 'Say hello', store: false });
    expect((response as unknown as { store: boolean }).store).toBe(false);
    await expect(sut.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
  });

  it('deletes a response: 200 with deleted, then 404', async () => {
    const response = await sut.responses.create({ model: MODEL_ID, input: 'Say hello' });
    const res = await fetch(`${stack.baseURL}/responses/${response.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${key.secret}` },
    });
    expect(await res.json()).toEqual({ id: response.id, object: 'response', deleted: true });
    await expectError(sut.responses.retrieve(response.id), 404, 'not_found');
    await expectError(sut.responses.delete(response.id), 404, 'not_found');
  });

  it("answers 404 for another tenant's response, as for an unknown id", async () => {
    const response = await sut.responses.create({ model: MODEL_ID, input: 'Say hello' });
    const other = await stack.tenant('responses-other');
    const stranger = new OpenAI({ apiKey: other.secret, baseURL: stack.baseURL, maxRetries: 0 });
    await expectError(stranger.responses.retrieve(response.id), 404, 'not_found');
    await expectError(
      stranger.responses.create({ model: MODEL_ID, input: 'Hi', previous_response_id: response.id }),
      404,
      'not_found',
    );
  });

  it('answers 404 for a response id PostgreSQL could not even hold (a NUL in it), never a 500', async () => {
    await expectError(
      sut.responses.create({ model: MODEL_ID, input: 'Hi', previous_response_id: 'resp_\u0000x' }),
      404,
      'not_found',
    );
    await expectError(sut.responses.retrieve('resp_\u0000x'), 404, 'not_found');
  });

  it('answers 404 for a conversation that is not there', async () => {
    const res = await post({ model: MODEL_ID, input: 'Hi', conversation: 'conv_unknown' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('conversation');
  });

  it.each([
    ['background without store', { background: true, store: false }, 'store'],
    [
      'conversation with previous_response_id',
      { conversation: 'a', previous_response_id: 'b' },
      'previous_response_id',
    ],
    ['an unknown field', { frobnicate: 1 }, 'frobnicate'],
    ['an empty input list', { input: [] }, 'input'],
    ['a tool_choice naming no tool', { tool_choice: { type: 'function', name: 'nope' } }, 'tool_choice'],
  ])('refuses %s with a 400 naming the parameter', async (_, extra, param) => {
    const res = await post({ model: MODEL_ID, input: 'Hi', ...extra });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string | null } };
    expectOpenAiShape('ErrorResponse', body);
    expect(body.error.param).toContain(param);
  });

  function post(body: object): Promise<Response> {
    return fetch(`${stack.baseURL}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
});

async function expectError(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ status, code });
}
