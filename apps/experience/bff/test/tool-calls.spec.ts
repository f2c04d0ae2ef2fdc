// Tool calls the model decides to make (tool_choice auto) in both OpenAI APIs, through the official
// `openai` SDK: BFF → orchestrator → model gateway → inference worker on tiny GGUFs, real PostgreSQL,
// Redis and Kafka. A scripted tiny model answers with two calls written in the chat template's
// function syntax (`||call: name({...})`), one word per token, so each call's arguments arrive in
// several deltas; another answers in text once the results are fed back. Every chunk, event and
// error is validated against OpenAI's published schemas. Covers streaming of auto calls, parallel
// calls and parallel_tool_calls false, results fed back together (client tools, and server tools run
// by the tool runner), and the 400s for results that do not pair with the calls.
import OpenAI from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { expectOpenAiShape } from './support/openai-schemas';
import { MODEL_ID, startStack, TINY_REPLY, type Stack } from './support/stack.fixture';

/** Answers with two calls: get_weather in four argument tokens, then get_time in two. */
const CALLS_MODEL = 'tiny-calls';
const CALLS_REPLY =
  '||call:get_weather({"city": "Paris", "unit": "celsius"}) ||call: get_time({"zone": "UTC"})';
/** Answers with two calculator calls (a server tool run by the tool runner). */
const CALC_MODEL = 'tiny-calc';
const CALC_REPLY = '||call:calculator({"expression": "6*7"}) ||call: calculator({"expression": "2+3"})';

const WEATHER_ARGUMENTS = { city: 'Paris', unit: 'celsius' };
const TIME_ARGUMENTS = { zone: 'UTC' };

const chatTools: OpenAI.ChatCompletionFunctionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string' } },
        required: ['city'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time',
      description: 'The time in a zone',
      parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
    },
  },
];
const responseTools: OpenAI.Responses.FunctionTool[] = chatTools.map(({ function: f }) => ({
  type: 'function',
  name: f.name,
  description: f.description ?? null,
  parameters: f.parameters ?? null,
  strict: false,
}));

type ExtendedChunk = OpenAI.ChatCompletionChunk & {
  hearth_tool_progress?: { tool_call_id: string; name: string; stage: string; round: number };
};

describe('Tool calls the model decides to make (auto), parallel calls', () => {
  let stack: Stack;
  let key: CreatedKey;
  let sut: OpenAI;

  beforeAll(async () => {
    stack = await startStack({
      orchestration: true,
      contextSize: 2048,
      scriptedModels: [
        { id: CALLS_MODEL, reply: CALLS_REPLY },
        { id: CALC_MODEL, reply: CALC_REPLY },
      ],
      toolPolicy: { version: 1, tenants: { default: { allow: ['calculator'] } } },
    });
    key = await stack.tenant('tool-calls');
    sut = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  describe('POST /v1/chat/completions', () => {
    async function streamCalls(extra: Partial<OpenAI.ChatCompletionCreateParamsStreaming> = {}) {
      const stream = await sut.chat.completions.create({
        model: CALLS_MODEL,
        messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
        tools: chatTools,
        temperature: 0,
        stream: true,
        ...extra,
      });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      chunks.forEach((chunk) => expectOpenAiShape('CreateChatCompletionStreamResponse', chunk));
      const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      const calls = new Map<number, { id: string; name: string; fragments: string[] }>();
      for (const delta of deltas) {
        if (delta.id)
          calls.set(delta.index, { id: delta.id, name: delta.function?.name ?? '', fragments: [] });
        if (delta.function?.arguments) calls.get(delta.index)?.fragments.push(delta.function.arguments);
      }
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      const finish = chunks.flatMap((c) => (c.choices[0]?.finish_reason ? [c.choices[0].finish_reason] : []));
      return {
        deltas,
        calls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c),
        text,
        finish,
      };
    }

    it('streams two auto calls, each with its own index and id and its arguments in several deltas', async () => {
      const { deltas, calls, text, finish } = await streamCalls();

      expect(text).toBe('');
      expect(finish).toEqual(['tool_calls']);
      expect(calls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
      expect(new Set(calls.map((c) => c.id)).size).toBe(2);
      calls.forEach((c) => expect(c.id).toMatch(/^call_[A-Za-z0-9]{24}$/));
      // id and name come once, on a call's first delta; the arguments follow as they are generated.
      expect(deltas.filter((d) => d.id).map((d) => d.index)).toEqual([0, 1]);
      expect(calls[0]!.fragments.length).toBeGreaterThan(1);
      expect(calls[1]!.fragments.length).toBeGreaterThan(1);
      expect(JSON.parse(calls[0]!.fragments.join(''))).toEqual(WEATHER_ARGUMENTS);
      expect(JSON.parse(calls[1]!.fragments.join(''))).toEqual(TIME_ARGUMENTS);
    });

    it('makes one call with parallel_tool_calls false', async () => {
      const { calls, finish } = await streamCalls({ parallel_tool_calls: false });

      expect(calls.map((c) => c.name)).toEqual(['get_weather']);
      expect(JSON.parse(calls[0]!.fragments.join(''))).toEqual(WEATHER_ARGUMENTS);
      expect(finish).toEqual(['tool_calls']);
    });

    it('takes both results back in one request and answers', async () => {
      const first = await sut.chat.completions.create({
        model: CALLS_MODEL,
        messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
        tools: chatTools,
        temperature: 0,
      });
      expectOpenAiShape('CreateChatCompletionResponse', first);
      const message = first.choices[0]!.message;
      const [weather, time] = (message.tool_calls ?? []).filter((c) => c.type === 'function');
      expect([weather?.function.name, time?.function.name]).toEqual(['get_weather', 'get_time']);

      const answer = (timeResult: string) =>
        sut.chat.completions.create({
          model: MODEL_ID,
          messages: [
            { role: 'user', content: 'Weather and time in Paris?' },
            message,
            { role: 'tool', tool_call_id: weather!.id, content: '{"celsius": 21}' },
            { role: 'tool', tool_call_id: time!.id, content: timeResult },
          ],
          tools: chatTools,
          temperature: 0,
        });
      const short = await answer('{"time": "12:00"}');
      const long = await answer(`{"time": "12:00", "note": "${'very '.repeat(20)}late"}`);

      expectOpenAiShape('CreateChatCompletionResponse', short);
      expect(short.choices[0]?.message.content?.trim()).toBe(TINY_REPLY);
      expect(short.choices[0]?.finish_reason).toBe('stop');
      // The second result is in the prompt next to the first: a longer one costs more prompt tokens.
      expect(long.usage!.prompt_tokens).toBeGreaterThan(short.usage!.prompt_tokens + 15);
    });

    it('runs both server tool calls of one answer and feeds their results back together', async () => {
      const conversation = await fetch(`${stack.baseURL}/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: '{}',
      }).then(async (res) => ((await res.json()) as { id: string }).id);
      const stream = await sut.chat.completions.create({
        model: CALC_MODEL,
        messages: [{ role: 'user', content: 'What are 6*7 and 2+3?' }],
        temperature: 0,
        max_completion_tokens: 40,
        stream: true,
        conversation_id: conversation,
        server_tools: ['calculator'],
        max_tool_rounds: 1,
      } as OpenAI.ChatCompletionCreateParamsStreaming);
      const chunks: ExtendedChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk as ExtendedChunk);

      chunks.forEach((chunk) => expectOpenAiShape('CreateChatCompletionStreamResponse', chunk));
      const progress = chunks.flatMap((c) => (c.hearth_tool_progress ? [c.hearth_tool_progress] : []));
      const succeeded = progress.filter((p) => p.stage === 'succeeded');
      expect(succeeded).toHaveLength(2);
      expect(succeeded.every((p) => p.name === 'calculator' && p.round === 1)).toBe(true);
      expect(chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false); // server calls stay inside

      const messages = await fetch(`${stack.baseURL}/conversations/${conversation}/messages`, {
        headers: { authorization: `Bearer ${key.secret}` },
      }).then(async (res) => ((await res.json()) as { data: { id: string; role: string }[] }).data);
      const assistant = messages.find((m) => m.role === 'assistant');
      const trace = await fetch(
        `${stack.baseURL}/conversations/${conversation}/messages/${assistant!.id}/trace`,
        { headers: { authorization: `Bearer ${key.secret}` } },
      ).then(
        async (res) =>
          (await res.json()) as {
            rounds: {
              tool_calls: { id: string }[];
              prompt: { message: { role: number; tool_call_id: string } }[];
            }[];
          },
      );
      const [round1, round2] = trace.rounds;
      expect(round1!.tool_calls).toHaveLength(2);
      // Round 2's prompt holds one tool message per call of round 1, after the assistant's calls.
      const results = round2!.prompt
        .map((item) => item.message)
        .filter((m) => m.tool_call_id !== '')
        .map((m) => m.tool_call_id);
      expect(results).toEqual(round1!.tool_calls.map((c) => c.id));
    });

    it('refuses a tool message answering an unknown tool_call_id, and a call left without result, with 400', async () => {
      const call = (id: string, name: string): OpenAI.ChatCompletionMessageToolCall => ({
        id,
        type: 'function',
        function: { name, arguments: '{}' },
      });
      const asked: OpenAI.ChatCompletionAssistantMessageParam = {
        role: 'assistant',
        content: null,
        tool_calls: [call('call_a', 'get_weather'), call('call_b', 'get_time')],
      };
      const request = (messages: OpenAI.ChatCompletionMessageParam[]) =>
        fetch(`${stack.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: MODEL_ID, tools: chatTools, messages }),
        });
      const user: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Weather and time?' };

      const unknown = await request([
        user,
        asked,
        { role: 'tool', tool_call_id: 'call_a', content: '{}' },
        { role: 'tool', tool_call_id: 'call_zzz', content: '{}' },
      ]);
      const missing = await request([user, asked, { role: 'tool', tool_call_id: 'call_a', content: '{}' }]);

      expect(unknown.status).toBe(400);
      const unknownBody = (await unknown.json()) as {
        error: { param: string; message: string; type: string };
      };
      expectOpenAiShape('ErrorResponse', unknownBody);
      expect(unknownBody.error).toMatchObject({
        type: 'invalid_request_error',
        param: 'messages.[3].tool_call_id',
      });
      expect(unknownBody.error.message).toContain('call_zzz');
      expect(missing.status).toBe(400);
      const missingBody = (await missing.json()) as { error: { param: string; message: string } };
      expectOpenAiShape('ErrorResponse', missingBody);
      expect(missingBody.error.param).toBe('messages.[1].role');
      expect(missingBody.error.message).toContain('call_b');
      await expect(
        sut.chat.completions.create({ model: MODEL_ID, messages: [user, asked] }),
      ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    });
  });

  describe('POST /v1/responses', () => {
    it('streams two auto function calls as output items with argument deltas, and takes both outputs back', async () => {
      const stream = sut.responses.stream({
        model: CALLS_MODEL,
        input: 'Weather and time in Paris?',
        tools: responseTools,
        temperature: 0,
      });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      stream.on('event', (event) => events.push(event));
      const first = await stream.finalResponse();

      events.forEach((event) => expectOpenAiShape('ResponseStreamEvent', event));
      expectOpenAiShape('Response', first);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events.some((e) => e.type === 'response.output_text.delta')).toBe(false);
      const calls = first.output.filter((item) => item.type === 'function_call');
      expect(calls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
      expect(new Set(calls.map((c) => c.call_id)).size).toBe(2);
      for (const [index, call] of calls.entries()) {
        const deltas = events.flatMap((e) =>
          e.type === 'response.function_call_arguments.delta' && e.item_id === call.id ? [e.delta] : [],
        );
        expect(deltas.length).toBeGreaterThan(1);
        expect(deltas.join('')).toBe(call.arguments);
        expect(JSON.parse(call.arguments)).toEqual(index === 0 ? WEATHER_ARGUMENTS : TIME_ARGUMENTS);
        const added = events.findIndex(
          (e) => e.type === 'response.output_item.added' && e.item.id === call.id,
        );
        const done = events.findIndex(
          (e) => e.type === 'response.function_call_arguments.done' && e.item_id === call.id,
        );
        expect(added).toBeGreaterThanOrEqual(0);
        expect(done).toBeGreaterThan(added);
      }

      const second = await sut.responses.create({
        model: MODEL_ID,
        previous_response_id: first.id,
        input: calls.map((call) => ({
          type: 'function_call_output' as const,
          call_id: call.call_id,
          output: call.name === 'get_weather' ? '{"celsius": 21}' : '{"time": "12:00"}',
        })),
        tools: responseTools,
        temperature: 0,
      });
      expectOpenAiShape('Response', second);
      expect(second.output_text.trim()).toBe(TINY_REPLY);
      const items = await sut.responses.inputItems.list(second.id);
      expect(items.data.filter((i) => i.type === 'function_call_output')).toHaveLength(2);
    });

    it('makes one function call with parallel_tool_calls false', async () => {
      const response = await sut.responses.create({
        model: CALLS_MODEL,
        input: 'Weather and time in Paris?',
        tools: responseTools,
        parallel_tool_calls: false,
        temperature: 0,
      });
      expectOpenAiShape('Response', response);
      expect(response.parallel_tool_calls).toBe(false);
      const calls = response.output.filter((item) => item.type === 'function_call');
      expect(calls.map((c) => c.name)).toEqual(['get_weather']);
    });

    it('refuses an output for an unknown call, and a call of the chain left without output, with 400', async () => {
      const first = await sut.responses.create({
        model: CALLS_MODEL,
        input: 'Weather and time in Paris?',
        tools: responseTools,
        temperature: 0,
      });
      const [weather] = first.output.filter((item) => item.type === 'function_call');
      const post = (input: object[]) =>
        fetch(`${stack.baseURL}/responses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: MODEL_ID,
            previous_response_id: first.id,
            tools: responseTools,
            input,
          }),
        });

      const unknown = await post([
        { type: 'function_call_output', call_id: weather!.call_id, output: '{}' },
        { type: 'function_call_output', call_id: 'call_zzz', output: '{}' },
      ]);
      const missing = await post([{ type: 'function_call_output', call_id: weather!.call_id, output: '{}' }]);

      for (const [res, mentioned] of [
        [unknown, 'call_zzz'],
        [missing, 'No tool output found'],
      ] as const) {
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: { param: string; message: string; type: string } };
        expectOpenAiShape('ErrorResponse', body);
        expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'input' });
        expect(body.error.message).toContain(mentioned);
      }
    });
  });
});
