// AssembleContext and the hot window against real PostgreSQL, Redis, a model gateway and an inference
// worker on the tiny GGUF: layer order and provenance, the window served from Redis and rebuilt from
// PostgreSQL after a miss, AppendMessages (idempotent, trimmed to the last turns), eviction, the
// stateless form, main.ts answering grpc.health, and bad input with its gRPC codes.
import { commonV1, contextV1 } from '@hearth/contracts';
import { ServiceProcess } from '@hearth/testing';

import { status } from '@grpc/grpc-js';

import { ContextAssemblyService } from '../src/assembly/context-assembly.service';
import {
  assembleRequest,
  chat,
  contextClient,
  outline,
  seedConversation,
  seedUser,
  startContextService,
  startModelStack,
  type ContextFixture,
  type ModelStack,
  type Seeded,
} from './support/context.fixture';

jest.setTimeout(120_000);

const { Role, ContextLayer } = commonV1;
const L = (layer: commonV1.ContextLayer) => String(layer);

describe(ContextAssemblyService.name, () => {
  let stack: ModelStack;
  let sut: ContextFixture;
  let owner: Seeded;

  beforeAll(async () => {
    stack = await startModelStack();
    sut = await startContextService(stack);
    owner = await seedUser(sut.prisma);
  });

  afterAll(async () => {
    await sut?.close();
    await stack?.stop();
  });

  const assemble = (overrides: Partial<contextV1.AssembleContextRequest>) =>
    sut.client.assembleContext(assembleRequest({ caller: owner.caller, ...overrides }));

  it('assembles a stateless turn: instructions first, earlier messages as history, the new user message last', async () => {
    const response = await assemble({
      newMessages: [
        chat(Role.ROLE_SYSTEM, 'You are terse.'),
        chat(Role.ROLE_USER, 'Hi there'),
        chat(Role.ROLE_ASSISTANT, 'Hello'),
        chat(Role.ROLE_USER, 'What is a cat?'),
      ],
    });

    expect(outline(response)).toEqual([
      { layer: L(ContextLayer.CONTEXT_LAYER_INSTRUCTIONS), text: 'You are terse.', source: 'input:0' },
      { layer: L(ContextLayer.CONTEXT_LAYER_HISTORY), text: 'Hi there', source: 'input:1' },
      { layer: L(ContextLayer.CONTEXT_LAYER_HISTORY), text: 'Hello', source: 'input:2' },
      { layer: L(ContextLayer.CONTEXT_LAYER_INPUT), text: 'What is a cat?', source: 'input:3' },
    ]);
    expect(response.messages.every((m) => m.tokenCount > 0)).toBe(true);
    expect(response.totalTokens).toBe(response.messages.reduce((n, m) => n + m.tokenCount, 0));
    expect(response.tokenBudget).toBe(512 - 64);
    expect(response.truncated).toBe(false);
    expect(response.layers.map((l) => l.layer)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('serves the hot window from PostgreSQL on a miss, then from Redis, and rebuilds it after the key is gone', async () => {
    const { conversationId, messageIds } = await seedConversation(sut.prisma, owner, [
      ['system', 'Conversation rules.'],
      ['user', 'First question'],
      ['assistant', 'First answer'],
      ['user', 'Second question'],
      ['assistant', 'Second answer'],
    ]);
    const request = { conversationId, newMessages: [chat(Role.ROLE_USER, 'Third question')] };
    const key = `ctx:win:${conversationId}`;
    await sut.redis.del(key);

    const cold = await assemble(request);
    expect(await sut.redis.ttl(key)).toBeGreaterThan(0);
    const warm = await assemble(request);
    await sut.redis.del(key);
    const rebuilt = await assemble(request);

    const expected = [
      {
        layer: L(ContextLayer.CONTEXT_LAYER_INSTRUCTIONS),
        text: 'Conversation rules.',
        source: messageIds[0],
      },
      { layer: L(ContextLayer.CONTEXT_LAYER_HISTORY), text: 'First question', source: messageIds[1] },
      { layer: L(ContextLayer.CONTEXT_LAYER_HISTORY), text: 'First answer', source: messageIds[2] },
      { layer: L(ContextLayer.CONTEXT_LAYER_HISTORY), text: 'Second question', source: messageIds[3] },
      { layer: L(ContextLayer.CONTEXT_LAYER_HISTORY), text: 'Second answer', source: messageIds[4] },
      { layer: L(ContextLayer.CONTEXT_LAYER_INPUT), text: 'Third question', source: 'input:0' },
    ];
    expect(outline(cold)).toEqual(expected);
    expect(outline(warm)).toEqual(expected);
    expect(outline(rebuilt)).toEqual(expected);
    expect(cold.messages.map((m) => [m.provenance?.seqStart, m.provenance?.seqEnd])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [0, 0],
    ]);
    // The window in Redis is what the next turn reads: prove it by changing the row behind it.
    await sut.prisma.message.update({
      where: { id: messageIds[1] },
      data: { content: 'Edited in the database' },
    });
    expect(outline(await assemble(request))[1]?.text).toBe('First question');
  });

  it('leaves out messages of this turn already stored (history_before_seq)', async () => {
    const { conversationId } = await seedConversation(sut.prisma, owner, [
      ['user', 'Earlier question'],
      ['assistant', 'Earlier answer'],
      ['user', 'Now this'],
    ]);

    const response = await assemble({
      conversationId,
      historyBeforeSeq: 3,
      newMessages: [chat(Role.ROLE_USER, 'Now this')],
    });

    expect(outline(response).map((o) => o.text)).toEqual(['Earlier question', 'Earlier answer', 'Now this']);
  });

  it('reads history from PostgreSQL when the cached window misses messages stored before this turn', async () => {
    const { conversationId } = await seedConversation(sut.prisma, owner, [
      ['user', 'First question'],
      ['assistant', 'First answer'],
    ]);
    await assemble({ conversationId, newMessages: [chat(Role.ROLE_USER, 'Second question')] });
    // Another orchestrator process stored the next turn but its AppendMessages has not landed yet.
    const { messageIds } = await seedConversation(
      sut.prisma,
      owner,
      [
        ['user', 'Second question'],
        ['assistant', 'Second answer'],
        ['user', 'Third question'],
      ],
      conversationId,
    );

    const response = await assemble({
      conversationId,
      historyBeforeSeq: 5,
      newMessages: [chat(Role.ROLE_USER, 'Third question')],
    });

    expect(outline(response).map((o) => o.text)).toEqual([
      'First question',
      'First answer',
      'Second question',
      'Second answer',
      'Third question',
    ]);
    expect(outline(response)[3]?.source).toBe(messageIds[1]);
  });

  it('appends messages to the window idempotently and caches only the last turns (5 here)', async () => {
    const seeded = await seedConversation(sut.prisma, owner, [
      ['user', 'q1'],
      ['assistant', 'a1'],
    ]);
    const { conversationId } = seeded;
    await assemble({ conversationId, newMessages: [chat(Role.ROLE_USER, 'q2')] });
    const append = (messages: contextV1.StoredMessage[]) =>
      sut.client.appendMessages({
        caller: owner.caller,
        conversationId,
        messages,
      });
    const storedMessage = (seq: number, role: commonV1.Role, text: string): contextV1.StoredMessage => ({
      messageId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      seq,
      message: chat(role, text),
      tokenCount: 0,
      createdAt: null,
      parentMessageId: '',
    });
    const turn = (n: number) => [
      storedMessage(2 * n - 1, Role.ROLE_USER, `q${n}`),
      storedMessage(2 * n, Role.ROLE_ASSISTANT, `a${n}`),
    ];

    expect((await append(turn(2))).hotWindowSize).toBe(4);
    expect((await append(turn(2))).hotWindowSize).toBe(4);
    for (const n of [3, 4, 5]) await append(turn(n));
    const size = await append(turn(6));

    expect(size.hotWindowSize).toBe(10);
    const response = await assemble({
      conversationId,
      newMessages: [chat(Role.ROLE_USER, 'q7')],
      tokenBudget: 448,
    });
    const items = outline(response);
    // q1/a1 left the cached window; no summary covers them, so they come from PostgreSQL.
    expect(items.map((o) => o.text)).toEqual([
      'q1',
      'a1',
      'q2',
      'a2',
      'q3',
      'a3',
      'q4',
      'a4',
      'q5',
      'a5',
      'q6',
      'a6',
      'q7',
    ]);
    expect(items.slice(0, 2).map((o) => o.source)).toEqual(seeded.messageIds);
    expect(response.truncated).toBe(false);
    expect(response.summary).toMatchObject({ summaryId: '', version: 0 });
  });

  it('evicts a conversation: its window leaves Redis and the next assembly rebuilds it', async () => {
    const { conversationId } = await seedConversation(sut.prisma, owner, [
      ['user', 'hello'],
      ['assistant', 'hi'],
    ]);
    await assemble({ conversationId, newMessages: [chat(Role.ROLE_USER, 'again')] });
    expect(await sut.redis.exists(`ctx:win:${conversationId}`)).toBe(1);

    await sut.client.evictConversation({ caller: owner.caller, conversationId, windowOnly: false });

    expect(await sut.redis.exists(`ctx:win:${conversationId}`)).toBe(0);
    expect(
      outline(await assemble({ conversationId, newMessages: [chat(Role.ROLE_USER, 'again')] })).map(
        (o) => o.text,
      ),
    ).toEqual(['hello', 'hi', 'again']);
  });

  it("refuses to evict another caller's conversation, cached or not: its summaries stay", async () => {
    const stranger = await seedUser(sut.prisma);
    const { conversationId } = await seedConversation(sut.prisma, owner, [['user', 'mine']]);
    await sut.prisma.conversationSummary.create({
      data: { conversationId, version: 1, fromSeq: 1, toSeq: 1, text: 'a summary', model: 'tiny' },
    });

    const refused = await sut.failure('evictConversation', {
      caller: stranger.caller,
      conversationId,
      windowOnly: false,
    });

    expect(refused.code).toBe(status.NOT_FOUND);
    expect(await sut.prisma.conversationSummary.count({ where: { conversationId } })).toBe(1);
    await sut.client.evictConversation({ caller: owner.caller, conversationId, windowOnly: false });
    expect(await sut.prisma.conversationSummary.count({ where: { conversationId } })).toBe(0);
  });

  it('answers NOT_FOUND for an unknown, deleted or foreign conversation and an unknown model', async () => {
    const stranger = await seedUser(sut.prisma);
    const { conversationId } = await seedConversation(sut.prisma, owner, [['user', 'mine']]);
    const deleted = await seedConversation(sut.prisma, owner, [['user', 'gone']]);
    await sut.prisma.conversation.update({
      where: { id: deleted.conversationId },
      data: { deletedAt: new Date() },
    });
    const turn = [chat(Role.ROLE_USER, 'x')];

    const unknown = await sut.failure(
      'assembleContext',
      assembleRequest({
        caller: owner.caller,
        conversationId: '7d0c3d4e-1111-4aaa-8bbb-000000000000',
        newMessages: turn,
      }),
    );
    const gone = await sut.failure(
      'assembleContext',
      assembleRequest({ caller: owner.caller, conversationId: deleted.conversationId, newMessages: turn }),
    );
    const foreign = await sut.failure(
      'assembleContext',
      assembleRequest({ caller: stranger.caller, conversationId, newMessages: turn }),
    );
    const model = await sut.failure(
      'assembleContext',
      assembleRequest({ caller: owner.caller, model: 'no-such-model', newMessages: turn }),
    );

    expect([unknown.code, gone.code, foreign.code, model.code]).toEqual([
      status.NOT_FOUND,
      status.NOT_FOUND,
      status.NOT_FOUND,
      status.NOT_FOUND,
    ]);
    expect(model.message).toMatch(/unknown model "no-such-model"/);
  });

  it('answers INVALID_ARGUMENT for missing ids, malformed ids, no input and a budget too small', async () => {
    const turn = [chat(Role.ROLE_USER, 'A question that takes several tokens to say')];
    const cases: [string, Partial<contextV1.AssembleContextRequest>, RegExp][] = [
      ['no caller', { caller: null, newMessages: turn }, /caller.tenant_id is required/],
      ['no model', { model: '', newMessages: turn }, /model is required/],
      ['bad conversation id', { conversationId: 'abc', newMessages: turn }, /conversation_id must be a uuid/],
      ['nothing to assemble', { newMessages: [] }, /new_messages is required/],
      ['no role', { newMessages: [chat(Role.ROLE_UNSPECIFIED, 'x')] }, /new_messages\[0\].role is required/],
      ['budget too small', { newMessages: turn, tokenBudget: 3 }, /token budget 3 is too small/],
      ['no room for a prompt', { newMessages: turn, reservedCompletionTokens: 512 }, /leaves no room/],
      [
        'bad parent message id',
        { newMessages: turn, parentMessageId: 'abc' },
        /parent_message_id must be a uuid/,
      ],
    ];
    for (const [name, overrides, message] of cases) {
      const error = await sut.failure(
        'assembleContext',
        assembleRequest({ caller: owner.caller, ...overrides }),
      );
      expect({ name, code: error.code }).toEqual({ name, code: status.INVALID_ARGUMENT });
      expect(error.message).toMatch(message);
    }
    const append = await sut.failure('appendMessages', {
      caller: owner.caller,
      conversationId: '',
      messages: [],
    });
    const evict = await sut.failure('evictConversation', {
      caller: { tenantId: '', userId: '', apiKeyId: '' },
      conversationId: 'x',
      windowOnly: false,
    });
    const { conversationId } = await seedConversation(sut.prisma, owner, [['user', 'hello']]);
    const badMessageId = await sut.failure('appendMessages', {
      caller: owner.caller,
      conversationId,
      messages: [
        {
          messageId: 'not-a-uuid',
          seq: 2,
          message: chat(Role.ROLE_ASSISTANT, 'hi'),
          tokenCount: 0,
          createdAt: null,
          parentMessageId: '',
        },
      ],
    });
    expect([append.code, evict.code, badMessageId.code]).toEqual([
      status.INVALID_ARGUMENT,
      status.INVALID_ARGUMENT,
      status.INVALID_ARGUMENT,
    ]);
    expect(badMessageId.message).toMatch(/messages\[0\].message_id must be a uuid/);
  });

  it('starts from main.ts as a process and answers grpc.health and AssembleContext', async () => {
    const process = await ServiceProcess.start({
      app: 'context-service',
      env: { DATABASE_URL: sut.db.url, MODEL_GATEWAY_ADDRESS: stack.gateway.address },
    });
    const client = contextClient(process.address);
    try {
      const response = await client.assembleContext(
        assembleRequest({ caller: owner.caller, newMessages: [chat(Role.ROLE_USER, 'Hello')] }),
      );
      expect(outline(response).map((o) => o.text)).toEqual(['Hello']);
    } finally {
      client.close();
      await process.stop();
    }
  });
});
