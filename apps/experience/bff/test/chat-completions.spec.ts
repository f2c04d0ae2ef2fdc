// Chat completions end to end through the official `openai` SDK: BFF → orchestrator (with safety,
// context service and tool runner) → model gateway → inference worker on the tiny GGUF, real
// PostgreSQL, Redis and Kafka. Responses and every stream chunk are validated against OpenAI's
// published schemas; the raw SSE wire format is checked byte by byte.
import { consumeUsageEvents, waitFor, type UsageEvents } from '@hearth/testing';

import OpenAI from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { expectOpenAiShape } from './support/openai-schemas';
import { LONG_MODEL_ID, MODEL_ID, startStack, TINY_REPLY, type Stack } from './support/stack.fixture';

const user = (content: string) => ({ role: 'user' as const, content });

describe('POST /v1/chat/completions', () => {
  let stack: Stack;
  let key: CreatedKey;
  let sut: OpenAI;
  let usage: UsageEvents;

  beforeAll(async () => {
    stack = await startStack({ orchestration: true, longModel: true, bffEnv: { SSE_HEARTBEAT_MS: '20' } });
    key = await stack.tenant('chat');
    sut = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
    usage = await consumeUsageEvents();
  });

  afterAll(async () => {
    await usage?.close();
    await stack?.close();
  });

  it('answers a stateless request in OpenAI shape', async () => {
    const completion = await sut.chat.completions.create({
      model: MODEL_ID,
      messages: [{ role: 'system', content: 'Be brief.' }, user('Say hello')],
      temperature: 0,
      max_completion_tokens: 16,
    });
    expectOpenAiShape('CreateChatCompletionResponse', completion);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(MODEL_ID);
    expect(completion.choices[0]?.message.content?.trim()).toBe(TINY_REPLY);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toEqual(expect.any(Number));
  });

  it('tells the caller the cost it is charged: a header when answered at once, hearth_cost on a stream', async () => {
    const own = await stack.tenant('cost');
    const client = new OpenAI({ apiKey: own.secret, baseURL: stack.baseURL, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create(
        { model: MODEL_ID, messages: [user('Say hello')], temperature: 0 },
        { headers: { 'X-Request-Id': `cost-once-${own.tenantId}` } },
      )
      .withResponse();
    expectOpenAiShape('CreateChatCompletionResponse', data);
    const stream = await client.chat.completions.create(
      {
        model: MODEL_ID,
        messages: [user('Say hello again')],
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      },
      { headers: { 'X-Request-Id': `cost-stream-${own.tenantId}` } },
    );
    let last: (OpenAI.Chat.Completions.ChatCompletionChunk & { hearth_cost?: unknown }) | undefined;
    for await (const chunk of stream) {
      expectOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      last = chunk;
    }

    const charged = (prefix: string) =>
      usage
        .forTenant(own.tenantId)
        .filter((e) => e.payload.requestId.startsWith(prefix))
        .reduce((sum, e) => sum + e.payload.costMicros, 0);
    await waitFor('both usage events', () => usage.forTenant(own.tenantId).length >= 2);
    const once = charged(`cost-once-${own.tenantId}`);
    // 0.5 and 1.5 USD per million tokens: a few dozen tokens cost a few dozen micro-dollars.
    expect(once).toBeGreaterThan(0);
    expect(response.headers.get('x-hearth-cost-micros')).toBe(String(once));
    expect(response.headers.get('x-hearth-cost-currency')).toBe('usd');
    expect(last?.hearth_cost).toEqual({
      amount_micros: charged(`cost-stream-${own.tenantId}`),
      currency: 'usd',
    });
  });

  it('refuses a request over a budget with insufficient_quota naming the budget: a 429, or the stream’s error event', async () => {
    const own = await stack.tenant('budget');
    const admin = await stack.admin.createKey({ tenant: own.tenantId, user: 'admin', scopes: ['admin'] });
    const set = await fetch(`${stack.baseURL}/organization/budgets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'user', subject_id: own.userId, period: 'daily', amount: { value: 0 } }),
    });
    expect(set.status).toBe(200);
    const client = new OpenAI({ apiKey: own.secret, baseURL: stack.baseURL, maxRetries: 0 });
    for (const stream of [false, true]) {
      const error = await client.chat.completions
        .create({ model: MODEL_ID, messages: [user('Say hello')], stream })
        .then(async (answer) => {
          if (stream) for await (const _ of answer as AsyncIterable<unknown>);
          return answer;
        })
        .catch((e: unknown) => e);
      // A stream has already sent its headers when the turn reaches the model: the refusal is its
      // error event, with the same type and code.
      if (!stream) expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect(error).toMatchObject({
        ...(stream ? {} : { status: 429 }),
        type: 'insufficient_quota',
        code: 'request_exceeds_budget',
      });
      expect((error as Error).message).toContain(`daily budget of user ${own.userId}`);
    }
    expect(usage.forTenant(own.tenantId)).toHaveLength(0);
  });

  it('answers 404 model_not_found (NotFoundError) for a model the registry does not have', async () => {
    const error = await sut.chat.completions
      .create({ model: 'no-such-model', messages: [user('Say hello')] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error' });
  });

  it('answers 400 context_length_exceeded for a prompt the model cannot hold, and for max_tokens beyond it', async () => {
    // The test model's context is 512 tokens.
    const overlong = await sut.chat.completions
      .create({ model: MODEL_ID, messages: [user('lorem ipsum '.repeat(1_000))] })
      .catch((e: unknown) => e);
    expect(overlong).toBeInstanceOf(OpenAI.BadRequestError);
    expect(overlong).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      param: 'messages',
    });
    expect((overlong as Error).message).toMatch(/too small|exceeds|context/);

    const greedy = await sut.chat.completions
      .create({ model: MODEL_ID, messages: [user('Say hello')], max_completion_tokens: 100_000 })
      .catch((e: unknown) => e);
    expect(greedy).toBeInstanceOf(OpenAI.BadRequestError);
    expect(greedy).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'max_tokens' });
  });

  it('streams chunks the SDK reassembles, with the usage chunk last when asked', async () => {
    const stream = await sut.chat.completions.create({
      model: MODEL_ID,
      messages: [user('Say hello')],
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      expectOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      chunks.push(chunk);
    }
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text.trim()).toBe(TINY_REPLY);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1];
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.total_tokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('writes the SSE wire format exactly: data lines, blank-line separators, [DONE] last', async () => {
    const res = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, messages: [user('Say hello')], temperature: 0, stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toMatch(/^\d+$/);
    const wire = await res.text();
    expect(wire.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = wire.split('\n\n').slice(0, -1);
    for (const event of events) expect(event).toMatch(/^(: ping|data: \{.*\}|data: \[DONE\])$/);
    const data = events.filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as unknown);
    data.forEach((chunk) => expectOpenAiShape('CreateChatCompletionStreamResponse', chunk));
    expect(events.filter((e) => e === 'data: [DONE]')).toHaveLength(1);
  });

  it('streams a forced tool call that the SDK reassembles into parseable arguments', async () => {
    const runner = sut.chat.completions.stream({
      model: MODEL_ID,
      messages: [user('What is the weather in Paris?')],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            // An enum keeps the tiny model's grammar-constrained arguments short and deterministic.
            parameters: {
              type: 'object',
              properties: { city: { type: 'string', enum: ['Paris', 'Rome'] } },
              required: ['city'],
              additionalProperties: false,
            },
            strict: true,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0,
    });
    const chunks: unknown[] = [];
    runner.on('chunk', (chunk) => chunks.push(chunk));
    const final = await runner.finalChatCompletion();
    chunks.forEach((chunk) => expectOpenAiShape('CreateChatCompletionStreamResponse', chunk));
    const choice = final.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(call.id).toBeTruthy();
    expect(['Paris', 'Rome']).toContain((JSON.parse(call.function.arguments) as { city: string }).city);
  });

  it('returns json_schema output that the SDK parses', async () => {
    const completion = await sut.chat.completions.parse({
      model: MODEL_ID,
      messages: [user('Give me a person')],
      temperature: 0,
      max_completion_tokens: 100,
      response_format: {
        type: 'json_schema',
        json_schema: {
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
    expectOpenAiShape('CreateChatCompletionResponse', completion);
    expect(completion.choices[0]?.message.parsed).toEqual({
      name: expect.any(String),
      age: expect.any(Number),
    });
  });

  it('answers 400 for a json_schema the platform cannot enforce, naming the keyword or limit', async () => {
    const refused = (schema: Record<string, unknown>) =>
      sut.chat.completions
        .create({
          model: MODEL_ID,
          messages: [user('Give me a person')],
          response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
        })
        .catch((e: unknown) => e);

    const allOf = await refused({ allOf: [{ type: 'object' }, { required: ['name'] }] });
    expect(allOf).toBeInstanceOf(OpenAI.BadRequestError);
    // Named as OpenAI names it: the parameter the client sent, never the internal contract's field.
    expect(allOf).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param: 'response_format',
      code: 'invalid_value',
    });
    expect((allOf as Error).message).toContain("Invalid schema for response_format 'person'");
    expect((allOf as Error).message).toContain(
      "'allOf' is supported for structured output only with one subschema",
    );
    expect((allOf as Error).message).not.toContain('schema_json');

    const notJsonSchema = await refused({ type: 'object', properties: { name: { type: 'strnig' } } });
    expect(notJsonSchema).toMatchObject({ status: 400, param: 'response_format' });
    expect((notJsonSchema as Error).message).toContain('not a valid JSON Schema');

    const hugeEnum = await refused({ enum: Array.from({ length: 20_000 }, (_, i) => `v${i}`) });
    expect(hugeEnum).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect((hugeEnum as Error).message).toContain('more than 1000 enum values');

    const backreference = await refused({ type: 'string', pattern: '(a)\\1' });
    expect(backreference).toMatchObject({ status: 400, type: 'invalid_request_error' });
    expect((backreference as Error).message).toContain('is not supported');
  });

  it('keeps server-side history with conversation_id', async () => {
    const conversation = (await (
      await fetch(`${stack.baseURL}/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'history' }),
      })
    ).json()) as { id: string };
    const body = {
      model: MODEL_ID,
      messages: [user('Say hello')],
      temperature: 0,
      conversation_id: conversation.id,
    };
    await sut.chat.completions.create(body as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);
    await sut.chat.completions.create(body as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);
    const rows = await stack.db.prisma.message.findMany({
      where: { conversationId: conversation.id },
      orderBy: { seq: 'asc' },
    });
    expect(rows.map((r) => r.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
  });

  it('replays an idempotent retry: same completion, one stored answer, one usage event', async () => {
    const own = await stack.tenant('idempotency');
    const client = new OpenAI({ apiKey: own.secret, baseURL: stack.baseURL, maxRetries: 0 });
    const conversation = await stack.db.prisma.conversation.create({
      data: { tenantId: own.tenantId, userId: own.userId },
    });
    const body = {
      model: MODEL_ID,
      messages: [user('Say hello')],
      temperature: 0,
      conversation_id: conversation.id,
    };
    const options = { headers: { 'Idempotency-Key': `idem-${conversation.id}` } };
    const first = await client.chat.completions.create(
      body as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
      options,
    );
    const retry = await client.chat.completions.create(
      body as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
      options,
    );
    expect(retry.id).toBe(first.id);
    expect(retry.choices[0]?.message.content).toBe(first.choices[0]?.message.content);
    const rows = await stack.db.prisma.message.findMany({ where: { conversationId: conversation.id } });
    expect(rows.map((r) => r.role).sort()).toEqual(['assistant', 'user']);
    await waitFor('the usage event', () => usage.forTenant(own.tenantId).length > 0);
    // A barrier: events are keyed by tenant, so a duplicate would arrive before a later request's event.
    await client.chat.completions.create(
      { model: MODEL_ID, messages: [user('Barrier')], temperature: 0 },
      { headers: { 'X-Request-Id': `barrier-${conversation.id}` } },
    );
    await waitFor('the barrier event', () =>
      usage.forTenant(own.tenantId).some((e) => e.payload.requestId.startsWith(`barrier-${conversation.id}`)),
    );
    expect(
      usage
        .forTenant(own.tenantId)
        .filter((e) => !e.payload.requestId.startsWith(`barrier-${conversation.id}`)),
    ).toHaveLength(1);
  });

  it('refuses a reused Idempotency-Key with a different body: 422 idempotency_key_reused, nothing stored', async () => {
    const own = await stack.tenant('idempotency-reuse');
    const client = new OpenAI({ apiKey: own.secret, baseURL: stack.baseURL, maxRetries: 0 });
    const conversation = await stack.db.prisma.conversation.create({
      data: { tenantId: own.tenantId, userId: own.userId },
    });
    const options = { headers: { 'Idempotency-Key': `reuse-${conversation.id}` } };
    const body = (text: string) => ({
      model: MODEL_ID,
      messages: [user(text)],
      temperature: 0,
      conversation_id: conversation.id,
    });
    await client.chat.completions.create(
      body('Say hello') as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
      options,
    );
    const reused = await client.chat.completions
      .create(body('Say goodbye') as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, options)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(reused).toBeInstanceOf(OpenAI.APIError);
    expect(reused).toMatchObject({
      status: 422,
      error: { type: 'invalid_request_error', code: 'idempotency_key_reused', param: 'Idempotency-Key' },
    });
    expect((reused as InstanceType<typeof OpenAI.APIError>).message).toMatch(/different request/);
    const rows = await stack.db.prisma.message.findMany({ where: { conversationId: conversation.id } });
    expect(rows).toHaveLength(2);
  });

  it('refuses an Idempotency-Key gRPC metadata cannot carry with a 400, on chat and responses', async () => {
    // HTTP allows a tab inside a header value; gRPC metadata takes printable ASCII only (was a 500).
    for (const path of ['chat/completions', 'responses']) {
      const res = await fetch(`${stack.baseURL}/${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.secret}`,
          'content-type': 'application/json',
          'idempotency-key': 'key\twith-a-tab',
        },
        body: JSON.stringify(
          path === 'responses'
            ? { model: MODEL_ID, input: 'Say hello' }
            : { model: MODEL_ID, messages: [user('Say hello')] },
        ),
      });
      expect({ path, status: res.status, body: await res.json() }).toEqual({
        path,
        status: 400,
        body: {
          error: {
            message: 'Idempotency-Key must be printable ASCII (no tabs or other control characters).',
            type: 'invalid_request_error',
            param: 'Idempotency-Key',
            code: null,
          },
        },
      });
    }
  });

  it('cancels the turn when the client disconnects mid-stream, freeing the worker slot', async () => {
    const conversation = await stack.db.prisma.conversation.create({
      data: { tenantId: key.tenantId, userId: key.userId },
    });
    const controller = new AbortController();
    const stream = await sut.chat.completions.create(
      {
        model: LONG_MODEL_ID,
        messages: [user('Tell a very long story')],
        temperature: 0.9,
        max_completion_tokens: 1500,
        stream: true,
        conversation_id: conversation.id,
      } as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
      { signal: controller.signal },
    );
    let received = 0;
    // The SDK ends the iteration quietly on abort (older versions throw an APIUserAbortError).
    // Chunks already decoded from the same network read would still be yielded after the
    // abort, so the loop stops itself at the third one.
    await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 3) {
          controller.abort();
          break;
        }
      }
    })().catch((error: unknown) => expect(error).toBeInstanceOf(OpenAI.APIUserAbortError));
    expect(received).toBe(3);
    const answer = await waitFor('the cancelled answer to be stored', () =>
      stack.db.prisma.message.findFirst({
        where: { conversationId: conversation.id, role: 'assistant', status: { not: 'streaming' } },
      }),
    );
    expect(answer.status).toBe('incomplete');
    expect(answer.finishReason).not.toBe('length');
    // The worker has one slot: it serves the next request at once instead of finishing 1500 tokens.
    const next = await sut.chat.completions.create({
      model: LONG_MODEL_ID,
      messages: [user('Short one')],
      max_completion_tokens: 4,
    });
    expect(next.choices[0]?.finish_reason).toBe('length');
  });

  it('sends `: ping` heartbeats while a long answer streams', async () => {
    const res = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: LONG_MODEL_ID,
        messages: [user('Ramble')],
        temperature: 0.9,
        max_completion_tokens: 600,
        stream: true,
      }),
    });
    const wire = await res.text();
    expect(wire).toContain('\n\n: ping\n\n');
    expect(wire.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('ends a stream whose worker dies mid-answer with a final error event, not a hang', async () => {
    const res = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: LONG_MODEL_ID,
        messages: [user('Ramble on')],
        temperature: 0.9,
        max_completion_tokens: 1900,
        stream: true,
      }),
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let wire = '';
    let killed = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      wire += decoder.decode(value, { stream: true });
      if (!killed && wire.includes('"content":"')) {
        killed = true;
        await stack.longWorker?.kill();
      }
    }
    await stack.longWorker?.launch();
    const events = wire.split('\n\n').filter((e) => e.startsWith('data: '));
    const last = events[events.length - 1] ?? '';
    expect(events).not.toContain('data: [DONE]');
    const error = JSON.parse(last.slice(6)) as unknown;
    expectOpenAiShape('ErrorResponse', error);
  });
});
