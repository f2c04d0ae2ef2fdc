// Background responses end to end: BFF replicas (one in this process, one or two as their own
// processes) → orchestrator (detached turns) → model gateway → inference workers on tiny GGUFs, real
// PostgreSQL, Redis and Kafka. A background response outlives the request that created it, its stream
// resumes on another replica from `starting_after` with every event exactly once, it survives the death
// (or the graceful shutdown) of the replica that drove it, and it can be cancelled. Events and
// responses validate against OpenAI's published schemas.
import { waitFor, type ServiceProcess } from '@hearth/testing';

import OpenAI from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { expectOpenAiShape } from './support/openai-schemas';
import { LONG_MODEL_ID, MODEL_ID, startStack, TINY_REPLY, type Stack } from './support/stack.fixture';

/** A driver lease this short lets a replica take over a dead one's response within seconds. */
const DRIVER_LEASE_MS = '1500';
/** Long enough that the tiny model is still writing when the spec acts mid-turn. */
const LONG_ANSWER_TOKENS = 1800;

interface StreamEvent {
  type: string;
  sequence_number: number;
  delta?: string;
  response?: OpenAI.Responses.Response;
}

/** Reads SSE events from a fetch body; stops (and leaves the connection) after `limit` deltas. */
async function readEvents(res: Response, limit = Infinity): Promise<StreamEvent[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: StreamEvent[] = [];
  let buffer = '';
  let deltas = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6)) as StreamEvent;
      events.push(event);
      if (event.type === 'response.output_text.delta' && ++deltas >= limit) {
        await reader.cancel();
        return events;
      }
    }
  }
}

describe('background responses', () => {
  let stack: Stack;
  let key: CreatedKey;
  let sut: OpenAI;
  let other: ServiceProcess;
  let otherURL: string;

  beforeAll(async () => {
    stack = await startStack({
      orchestration: true,
      longModel: true,
      contextSize: 2048,
      bffEnv: { RESPONSES_DRIVER_LEASE_MS: DRIVER_LEASE_MS },
    });
    key = await stack.tenant('background');
    sut = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
    other = await stack.replica();
    otherURL = `http://127.0.0.1:${other.port}/v1`;
  });

  afterAll(async () => {
    await other?.stop();
    await stack?.close();
  });

  const post = (baseURL: string, body: object) =>
    fetch(`${baseURL}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const streamAgain = (baseURL: string, id: string, startingAfter: number) =>
    fetch(`${baseURL}/responses/${id}?stream=true&starting_after=${startingAfter}`, {
      headers: { authorization: `Bearer ${key.secret}` },
    });

  async function settled(id: string): Promise<OpenAI.Responses.Response> {
    return waitFor(
      `response ${id} to end`,
      async () => {
        const response = await sut.responses.retrieve(id);
        return response.status === 'in_progress' ? undefined : response;
      },
      { timeoutMs: 60_000 },
    );
  }

  it('answers at once and finishes the turn after the request ended', async () => {
    const created = await sut.responses.create({ model: MODEL_ID, input: 'Say hello', background: true });

    expectOpenAiShape('Response', created);
    expect(created.background).toBe(true);
    const done = await settled(created.id);
    expectOpenAiShape('Response', done);
    expect(done.status).toBe('completed');
    expect(done.output_text.trim()).toBe(TINY_REPLY);
  });

  it("gives back the tokens the admission estimate took beyond the turn's usage once the turn ends", async () => {
    const limited = await stack.tenant('background-tpm', { tpm: 1000 });
    const client = new OpenAI({ apiKey: limited.secret, baseURL: stack.baseURL, maxRetries: 0 });
    // The estimate: the prompt plus max_output_tokens (600); the tiny model answers in a few tokens.
    const created = await client.responses.create({
      model: MODEL_ID,
      input: 'Say hello',
      background: true,
      max_output_tokens: 600,
    });
    const done = await waitFor('the response to end', async () => {
      const response = await client.responses.retrieve(created.id);
      return response.status === 'in_progress' ? undefined : response;
    });
    const used = done.usage?.total_tokens ?? 0;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(200);
    // A GET takes no tokens; the bucket shows what is left: all but the usage, not all but the estimate.
    const left = await waitFor('the estimate settled', async () => {
      const res = await fetch(`${stack.baseURL}/models`, {
        headers: { authorization: `Bearer ${limited.secret}` },
      });
      const remaining = Number(res.headers.get('x-ratelimit-remaining-tokens'));
      return remaining >= 1000 - used - 5 && remaining;
    });
    expect(left).toBeLessThanOrEqual(1000);
  });

  it('resumes a stream on another replica after the third delta: every event exactly once', async () => {
    const first = await post(stack.baseURL, {
      model: LONG_MODEL_ID,
      input: 'Ramble',
      background: true,
      stream: true,
      max_output_tokens: LONG_ANSWER_TOKENS,
    });
    expect(first.status).toBe(200);
    const before = await readEvents(first, 3);
    const last = before[before.length - 1] as StreamEvent;
    const id = before[0]?.response?.id as string;

    const after = await readEvents(await streamAgain(otherURL, id, last.sequence_number));

    const events = [...before, ...after];
    events.forEach((event) => expectOpenAiShape('ResponseStreamEvent', event));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');
    const final = events[events.length - 1];
    expect(final?.type).toBe('response.incomplete');
    expect(text).toBe(final?.response?.output_text ?? (await sut.responses.retrieve(id)).output_text);
  });

  it('sends SSE ids a client resumes with through Last-Event-ID', async () => {
    const created = await sut.responses.create({ model: MODEL_ID, input: 'Say hello', background: true });
    await settled(created.id);

    const res = await fetch(`${otherURL}/responses/${created.id}?stream=true`, {
      headers: { authorization: `Bearer ${key.secret}`, 'last-event-id': '1' },
    });
    const wire = await res.text();

    expect(wire.startsWith('id: 2\nevent: response.output_item.added\n')).toBe(true);
  });

  it('completes and can be read when the replica driving it is killed mid-turn', async () => {
    const doomed = await stack.replica();
    const created = (await (
      await post(`http://127.0.0.1:${doomed.port}/v1`, {
        model: LONG_MODEL_ID,
        input: 'Ramble',
        background: true,
        max_output_tokens: LONG_ANSWER_TOKENS,
      })
    ).json()) as OpenAI.Responses.Response;
    await doomed.kill();
    expect((await sut.responses.retrieve(created.id)).status).toBe('in_progress');

    const done = await settled(created.id);

    expectOpenAiShape('Response', done);
    expect(done.status).toBe('incomplete');
    expect(done.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(done.usage?.output_tokens).toBe(LONG_ANSWER_TOKENS);
  });

  it('is taken over, not failed, when the replica driving it shuts down gracefully mid-turn', async () => {
    const leaving = await stack.replica();
    const created = (await (
      await post(`http://127.0.0.1:${leaving.port}/v1`, {
        model: LONG_MODEL_ID,
        input: 'Ramble',
        background: true,
        max_output_tokens: LONG_ANSWER_TOKENS,
      })
    ).json()) as OpenAI.Responses.Response;

    await leaving.stop();
    const done = await settled(created.id);

    expect(done.status).toBe('incomplete');
    expect(done.usage?.output_tokens).toBe(LONG_ANSWER_TOKENS);
  });

  it('answers a retry with the same Idempotency-Key with the first response, its events once', async () => {
    const idempotencyKey = `bg-retry-${Date.now()}`;
    const send = (input: string, stream: boolean) =>
      fetch(`${stack.baseURL}/responses`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.secret}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({ model: MODEL_ID, input, background: true, stream }),
      });
    const first = (await (await send('Say hello', false)).json()) as OpenAI.Responses.Response;
    const done = await settled(first.id);

    const events = await readEvents(await send('Say hello', true));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.type === 'response.completed')).toHaveLength(1);
    expect(events.at(-1)?.response).toMatchObject({ id: first.id, status: 'completed', output: done.output });
    const again = (await (await send('Say hello', false)).json()) as OpenAI.Responses.Response;
    expect(again).toMatchObject({ id: first.id, status: 'completed' });

    const other = await send('Say goodbye', false);
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({
      error: { code: 'idempotency_key_reused', param: 'Idempotency-Key' },
    });
  });

  it('cancels a running background response from another replica', async () => {
    const created = await sut.responses.create({
      model: LONG_MODEL_ID,
      input: 'Ramble',
      background: true,
      max_output_tokens: LONG_ANSWER_TOKENS,
    });

    const res = await fetch(`${otherURL}/responses/${created.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.secret}` },
    });
    const cancelled = (await res.json()) as OpenAI.Responses.Response;

    expect(res.status).toBe(200);
    expectOpenAiShape('Response', cancelled);
    expect(cancelled.status).toBe('cancelled');
    expect((await sut.responses.retrieve(created.id)).status).toBe('cancelled');
    expect((await sut.responses.cancel(created.id)).status).toBe('cancelled');
  });

  it('refuses to cancel or stream again a foreground response, naming why', async () => {
    const foreground = await sut.responses.create({ model: MODEL_ID, input: 'Say hello' });

    await expect(sut.responses.cancel(foreground.id)).rejects.toMatchObject({ status: 400 });
    const res = await streamAgain(stack.baseURL, foreground.id, 0);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('stream');
  });
});
