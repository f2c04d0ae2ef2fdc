// OpenAI's Conversations API end to end through the official `openai` SDK: BFF → orchestrator
// (AppendMessages, turns in the conversation) → context service → model gateway → inference worker on
// the tiny GGUF, real PostgreSQL, Redis and Kafka. Conversations and items validate against OpenAI's
// published schemas; another tenant's conversation is a 404 on every route.
import OpenAI from 'openai';

import type { CreatedKey } from '../src/admin/admin.service';
import { expectOpenAiShape } from './support/openai-schemas';
import { MODEL_ID, startStack, TINY_REPLY, type Stack } from './support/stack.fixture';

describe('/v1/conversations (OpenAI Conversations API)', () => {
  let stack: Stack;
  let key: CreatedKey;
  let sut: OpenAI;

  beforeAll(async () => {
    stack = await startStack({ orchestration: true, contextSize: 2048 });
    key = await stack.tenant('conversations-api');
    sut = new OpenAI({ apiKey: key.secret, baseURL: stack.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const raw = (path: string) =>
    fetch(`${stack.baseURL}${path}`, { headers: { authorization: `Bearer ${key.secret}` } }).then(
      (res) => res.json() as Promise<unknown>,
    );

  it('creates a conversation with items and metadata, lists and reads its items', async () => {
    const conversation = await sut.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }],
      metadata: { topic: 'names' },
    });

    expectOpenAiShape('ConversationResource', conversation);
    expect(conversation.metadata).toEqual({ topic: 'names' });
    expectOpenAiShape('ConversationResource', await sut.conversations.retrieve(conversation.id));
    const listed = await raw(`/conversations/${conversation.id}/items`);
    expectOpenAiShape('ConversationItemList', listed);
    const page = await sut.conversations.items.list(conversation.id);
    expect(page.data).toEqual([
      expect.objectContaining({
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'My name is Ada.' }],
      }),
    ]);
    const item = await sut.conversations.items.retrieve(page.data[0]?.id as string, {
      conversation_id: conversation.id,
    });
    expectOpenAiShape('ConversationItem', item);
  });

  it('answers a response in the conversation from its items, and lists the answer as an item', async () => {
    const conversation = await sut.conversations.create({});
    const bare = await sut.responses.create({
      model: MODEL_ID,
      input: 'Say hello',
      conversation: conversation.id,
    });
    const other = await sut.conversations.create({
      items: [
        { type: 'message', role: 'user', content: 'Remember this sentence about the weather today.' },
        { type: 'message', role: 'assistant', content: 'I will remember it.' },
      ],
    });

    const response = await sut.responses.create({
      model: MODEL_ID,
      input: 'Say hello',
      conversation: other.id,
    });

    expect(response.output_text.trim()).toBe(TINY_REPLY);
    // The added items are in the prompt (the context service's hot window has them).
    expect(response.usage?.input_tokens).toBeGreaterThan((bare.usage?.input_tokens ?? 0) + 5);
    const items = await sut.conversations.items.list(other.id, { order: 'asc' });
    expect(items.data.map((i) => (i.type === 'message' ? i.role : i.type))).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expectOpenAiShape('ConversationItemList', await raw(`/conversations/${other.id}/items?order=asc`));
  });

  it('adds items, pages through them by id, updates metadata and deletes the conversation', async () => {
    const conversation = await sut.conversations.create({ metadata: { step: '1' } });
    const added = await sut.conversations.items.create(conversation.id, {
      items: ['one', 'two', 'three'].map((text) => ({
        type: 'message' as const,
        role: 'user' as const,
        content: text,
      })),
    });
    expect(added.data).toHaveLength(3);

    const first = await raw(`/conversations/${conversation.id}/items?order=asc&limit=2`);
    expect(first).toMatchObject({
      has_more: true,
      data: [{ content: [{ text: 'one' }] }, { content: [{ text: 'two' }] }],
    });
    const rest = await raw(
      `/conversations/${conversation.id}/items?order=asc&limit=2&after=${(first as { last_id: string }).last_id}`,
    );
    expect(rest).toMatchObject({ has_more: false, data: [{ content: [{ text: 'three' }] }] });

    const updated = await sut.conversations.update(conversation.id, { metadata: { step: '2' } });
    expect(updated.metadata).toEqual({ step: '2' });
    const deleted = await sut.conversations.delete(conversation.id);
    expectOpenAiShape('DeletedConversationResource', deleted);
    await expect(sut.conversations.retrieve(conversation.id)).rejects.toMatchObject({ status: 404 });
  });

  it("answers 404 for another tenant's conversation on every route", async () => {
    const conversation = await sut.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'Private' }],
    });
    const items = await sut.conversations.items.list(conversation.id);
    const other = await stack.tenant('conversations-api-other');
    const stranger = new OpenAI({ apiKey: other.secret, baseURL: stack.baseURL, maxRetries: 0 });

    const attempts = [
      () => stranger.conversations.retrieve(conversation.id),
      () => stranger.conversations.update(conversation.id, { metadata: { x: 'y' } }),
      () => stranger.conversations.items.list(conversation.id),
      () =>
        stranger.conversations.items.create(conversation.id, {
          items: [{ type: 'message', role: 'user', content: 'Intrusion' }],
        }),
      () =>
        stranger.conversations.items.retrieve(items.data[0]?.id as string, {
          conversation_id: conversation.id,
        }),
      () => stranger.conversations.delete(conversation.id),
    ];

    for (const attempt of attempts) await expect(attempt()).rejects.toMatchObject({ status: 404 });
    expect((await sut.conversations.items.list(conversation.id)).data).toHaveLength(1);
  });

  it('stores text PostgreSQL cannot hold (a NUL, an unpaired surrogate) with U+FFFD in its place', async () => {
    const conversation = await sut.conversations.create({});

    const added = await sut.conversations.items.create(conversation.id, {
      items: [{ type: 'message', role: 'user', content: 'a\u0000b\ud800c' }],
    });

    // gRPC carries the lone surrogate as UTF-8 bytes that decode as replacement characters already.
    const [item] = added.data;
    if (item?.type !== 'message') throw new Error('expected a message item');
    expect(item.content[0]).toEqual({
      type: 'input_text',
      text: expect.stringMatching(/^a\ufffdb\ufffd+c$/),
    });
  });

  it('refuses bad items with a 400 naming them, and an unknown item or cursor', async () => {
    const conversation = await sut.conversations.create({});
    const tooMany = Array.from({ length: 21 }, () => ({
      type: 'message' as const,
      role: 'user' as const,
      content: 'x',
    }));

    await expect(sut.conversations.items.create(conversation.id, { items: tooMany })).rejects.toMatchObject({
      status: 400,
      param: 'items',
    });
    await expect(
      sut.conversations.items.create(conversation.id, {
        items: [{ type: 'function_call_output', call_id: '', output: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      sut.conversations.items.retrieve('msg_unknown', { conversation_id: conversation.id }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      sut.conversations.items.list(conversation.id, { after: 'msg_unknown' }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'after',
    });
  });
});
