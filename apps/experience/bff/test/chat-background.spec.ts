// Background chat completions end to end (the `background: true` extension on a stored conversation):
// BFF replicas (one in this process, one or two as their own processes) → orchestrator (detached
// turns) → model gateway → inference workers on tiny GGUFs, real PostgreSQL, Redis and Kafka. The turn
// outlives the stream that began it; another replica resumes the stream after starting_after (or
// Last-Event-ID) with every chunk exactly once and `data: [DONE]` last; the turn survives the death of
// the replica that drove it, and any replica can cancel it. Chunks validate against OpenAI's schemas.
import { waitFor, type ServiceProcess } from '@hearth/testing';

import type { CreatedKey } from '../src/admin/admin.service';
import { expectOpenAiShape } from './support/openai-schemas';
import { LONG_MODEL_ID, MODEL_ID, startStack, TINY_REPLY, type Stack } from './support/stack.fixture';

/** A driver lease this short lets a replica take over a dead one's turn within seconds. */
const DRIVER_LEASE_MS = '1500';
/** Long enough that the tiny model is still writing when the spec acts mid-turn. */
const LONG_ANSWER_TOKENS = 1500;

interface Chunk {
  id: string;
  object: string;
  choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
}

/** One SSE event as the wire carried it: its id, and its data (a chunk, an error or `[DONE]`). */
interface WireEvent {
  id?: number;
  data: string;
}

/** Reads SSE events from a fetch body; leaves the connection after `limit` content deltas. */
async function readEvents(res: Response, limit = Infinity): Promise<WireEvent[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: WireEvent[] = [];
  let buffer = '';
  let deltas = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const data = lines.find((line) => line.startsWith('data: '));
      if (!data) continue;
      const id = lines.find((line) => line.startsWith('id: '));
      const event: WireEvent = { data: data.slice(6), ...(id && { id: Number(id.slice(4)) }) };
      events.push(event);
      if (event.data !== '[DONE]' && contentOf(event) && ++deltas >= limit) {
        await reader.cancel();
        return events;
      }
    }
  }
}

const chunkOf = (event: WireEvent) => JSON.parse(event.data) as Chunk;
const contentOf = (event: WireEvent) =>
  event.data === '[DONE]' ? '' : (chunkOf(event).choices[0]?.delta.content ?? '');

describe('background chat completions', () => {
  let stack: Stack;
  let key: CreatedKey;
  let other: ServiceProcess;
  let otherURL: string;

  beforeAll(async () => {
    stack = await startStack({
      orchestration: true,
      longModel: true,
      contextSize: 2048,
      bffEnv: { RESPONSES_DRIVER_LEASE_MS: DRIVER_LEASE_MS },
    });
    key = await stack.tenant('chat-background');
    other = await stack.replica();
    otherURL = `http://127.0.0.1:${other.port}/v1`;
  });

  afterAll(async () => {
    await other?.stop();
    await stack?.close();
  });

  const newConversation = async (owner = key) =>
    (
      await stack.db.prisma.conversation.create({
        data: { tenantId: owner.tenantId, userId: owner.userId },
      })
    ).id;

  const post = (baseURL: string, body: object, secret = key.secret) =>
    fetch(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const ramble = (conversationId: string) => ({
    model: LONG_MODEL_ID,
    messages: [{ role: 'user', content: 'Ramble' }],
    max_completion_tokens: LONG_ANSWER_TOKENS,
    conversation_id: conversationId,
    background: true,
    stream: true,
  });

  const resume = (baseURL: string, id: string, query = '', headers: Record<string, string> = {}) =>
    fetch(`${baseURL}/chat/completions/${id}/stream${query}`, {
      headers: { authorization: `Bearer ${key.secret}`, ...headers },
    });

  /** The conversation's assistant message once it is no longer streaming. */
  const storedAnswer = (conversationId: string) =>
    waitFor(
      'the answer to be stored',
      () =>
        stack.db.prisma.message.findFirst({
          where: { conversationId, role: 'assistant', status: { not: 'streaming' } },
        }),
      { timeoutMs: 90_000 },
    );

  const textOf = (content: unknown): string =>
    typeof content === 'string' ? content : String((content as { content?: unknown }).content ?? '');

  it('resumes the stream on another replica after the third delta: every chunk exactly once', async () => {
    const conversationId = await newConversation();
    const first = await post(stack.baseURL, ramble(conversationId));
    expect(first.status).toBe(200);
    const before = await readEvents(first, 3);
    const last = before[before.length - 1] as WireEvent;
    const id = chunkOf(before[0] as WireEvent).id;
    expect(id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);

    const res = await resume(otherURL, id, `?starting_after=${last.id}`);
    expect(res.status).toBe(200);
    const after = await readEvents(res);

    expect(after[after.length - 1]).toEqual({ data: '[DONE]' });
    const events = [...before, ...after.slice(0, -1)];
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i));
    for (const event of events) {
      const chunk = chunkOf(event);
      expectOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      expect(chunk.id).toBe(id);
    }
    expect(chunkOf(events[events.length - 1] as WireEvent).choices[0]?.finish_reason).toBe('length');
    const answer = await storedAnswer(conversationId);
    expect(answer.status).toBe('complete');
    expect(events.map(contentOf).join('')).toBe(textOf(answer.content));
  });

  it('resumes through Last-Event-ID, and streams a finished one again from the start', async () => {
    const conversationId = await newConversation();
    const wire = await (
      await post(stack.baseURL, { ...ramble(conversationId), model: MODEL_ID, max_completion_tokens: 20 })
    ).text();
    const id = /"id":"(chatcmpl-[0-9a-f]+)"/.exec(wire)?.[1] as string;
    expect(wire.endsWith('data: [DONE]\n\n')).toBe(true);

    const again = await (await resume(otherURL, id)).text();
    const resumed = await (await resume(otherURL, id, '', { 'last-event-id': '0' })).text();

    expect(again).toBe(wire);
    expect(resumed.startsWith('id: 1\ndata: ')).toBe(true);
    expect(wire.endsWith(resumed)).toBe(true);
    const events = await readEvents(new Response(again));
    expect(events.map(contentOf).join('').trim()).toBe(TINY_REPLY);
  });

  it('finishes the turn when the replica driving it is killed mid-turn, taken over by a reader', async () => {
    const doomed = await stack.replica();
    const conversationId = await newConversation();
    const first = await post(`http://127.0.0.1:${doomed.port}/v1`, ramble(conversationId));
    const before = await readEvents(first, 3);
    const id = chunkOf(before[0] as WireEvent).id;
    await doomed.kill();

    const after = await readEvents(await resume(otherURL, id, `?starting_after=${before.length - 1}`));

    expect(after[after.length - 1]).toEqual({ data: '[DONE]' });
    const events = [...before, ...after.slice(0, -1)];
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i));
    const answer = await storedAnswer(conversationId);
    expect(answer.status).toBe('complete');
    expect(events.map(contentOf).join('')).toBe(textOf(answer.content));
  });

  it('sends the rest exactly once when the turn finished after its driver died, before anyone resumed', async () => {
    const doomed = await stack.replica();
    const conversationId = await newConversation();
    const first = await post(`http://127.0.0.1:${doomed.port}/v1`, {
      ...ramble(conversationId),
      max_completion_tokens: 200,
    });
    const before = await readEvents(first, 3);
    const id = chunkOf(before[0] as WireEvent).id;
    await doomed.kill();
    const answer = await storedAnswer(conversationId);

    // The finished turn is replayed as its whole answer: only what the log lacks goes on.
    const after = await readEvents(await resume(otherURL, id, `?starting_after=${before.length - 1}`));

    expect(after[after.length - 1]).toEqual({ data: '[DONE]' });
    const events = [...before, ...after.slice(0, -1)];
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i));
    events.forEach((e) => expectOpenAiShape('CreateChatCompletionStreamResponse', chunkOf(e)));
    expect(events.map(contentOf).join('')).toBe(textOf(answer.content));
    expect(chunkOf(events[events.length - 1] as WireEvent).choices[0]?.finish_reason).toBe('length');
  });

  it('cancels a running background completion from another replica', async () => {
    const conversationId = await newConversation();
    const first = await post(stack.baseURL, ramble(conversationId));
    const before = await readEvents(first, 3);
    const id = chunkOf(before[0] as WireEvent).id;

    const res = await fetch(`${otherURL}/chat/completions/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}` },
    });
    const cancelled = (await res.json()) as {
      id: string;
      object: string;
      choices: { message: { content: string } }[];
    };

    expect(res.status).toBe(200);
    expectOpenAiShape('CreateChatCompletionResponse', cancelled);
    expect(cancelled.id).toBe(id);
    const answer = await storedAnswer(conversationId);
    expect(answer.finishReason).not.toBe('length');
    expect(cancelled.choices[0]?.message.content).toBe(textOf(answer.content));
    // The stream ends; cancelling again answers the same completion.
    const rest = await readEvents(await resume(stack.baseURL, id, `?starting_after=${before.length - 1}`));
    expect(rest[rest.length - 1]).toEqual({ data: '[DONE]' });
    const again = await fetch(`${stack.baseURL}/chat/completions/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}` },
    });
    expect(await again.json()).toEqual(cancelled);
  });

  it('streams a retry with the same Idempotency-Key from the completion it began; another body is a 422', async () => {
    const conversationId = await newConversation();
    const body = { ...ramble(conversationId), model: MODEL_ID, max_completion_tokens: 20 };
    const withKey = (payload: object) =>
      fetch(`${stack.baseURL}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.secret}`,
          'content-type': 'application/json',
          'idempotency-key': `retry-${conversationId}`,
        },
        body: JSON.stringify(payload),
      });
    const wire = await (await withKey(body)).text();
    const id = /"id":"(chatcmpl-[0-9a-f]+)"/.exec(wire)?.[1] as string;

    const retried = await withKey(body);
    const reused = await withKey({ ...body, messages: [{ role: 'user', content: 'Something else' }] });

    expect(retried.status).toBe(200);
    expect(await retried.text()).toBe(wire);
    expect(await (await resume(otherURL, id)).text()).toBe(wire);
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    expect(await stack.db.prisma.message.count({ where: { conversationId } })).toBe(2);
  });

  it('refuses background without a conversation_id or without stream, naming the param', async () => {
    const conversationId = await newConversation();
    const { conversation_id: _omitted, ...unstored } = ramble(conversationId);
    for (const body of [unstored, { ...ramble(conversationId), stream: false }]) {
      const res = await post(stack.baseURL, body);
      const error = (await res.json()) as { error: { param: string; type: string } };
      expect(res.status).toBe(400);
      expectOpenAiShape('ErrorResponse', error);
      expect(error.error).toMatchObject({ param: 'background', type: 'invalid_request_error' });
    }
    expect(await stack.db.prisma.message.count({ where: { conversationId } })).toBe(0);
  });

  it("answers 404 to another tenant's or an unknown id, and a bad starting_after is a 400", async () => {
    const conversationId = await newConversation();
    const wire = await (
      await post(stack.baseURL, { ...ramble(conversationId), model: MODEL_ID, max_completion_tokens: 8 })
    ).text();
    const id = /"id":"(chatcmpl-[0-9a-f]+)"/.exec(wire)?.[1] as string;
    const stranger = await stack.tenant('chat-background-stranger');
    const as = (secret: string, path: string, method = 'GET') =>
      fetch(`${otherURL}${path}`, { method, headers: { authorization: `Bearer ${secret}` } });

    for (const path of [`/chat/completions/${id}/stream`, `/chat/completions/${id}/cancel`]) {
      const res = await as(stranger.secret, path, path.endsWith('cancel') ? 'POST' : 'GET');
      expect(res.status).toBe(404);
      expectOpenAiShape('ErrorResponse', await res.json());
    }
    expect((await as(key.secret, '/chat/completions/chatcmpl-0000/stream')).status).toBe(404);
    const bad = await as(key.secret, `/chat/completions/${id}/stream?starting_after=-1`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('starting_after');
  });
});
