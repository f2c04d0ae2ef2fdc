import { randomUUID } from 'node:crypto';

import { createTestDatabase, type TestDatabase } from '@hearth/testing';

import {
  appendMessage,
  branchPath,
  ConversationNotFoundError,
  createConversation,
  createPrismaClient,
  DuplicateRequestError,
  isUniqueViolation,
  softDeleteConversation,
  type PrismaClient,
} from '../src';
import { seedTenantUser } from './db-fixtures';

describe(appendMessage.name, () => {
  let db: TestDatabase;
  let sut: PrismaClient;
  let tenantId: string;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = db.prisma;
    ({ tenantId, userId } = await seedTenantUser(sut));
  }, 120_000);

  afterAll(() => db?.drop());

  const newConversation = () => createConversation(sut, { tenantId, userId, title: 'test' });

  it('numbers messages 1, 2, 3 in append order and bumps the conversation', async () => {
    const conversation = await newConversation();

    const first = await appendMessage(sut, { conversationId: conversation.id, role: 'user', content: 'hi' });
    const second = await appendMessage(sut, {
      conversationId: conversation.id,
      role: 'assistant',
      content: 'hello',
    });
    const third = await appendMessage(sut, {
      conversationId: conversation.id,
      role: 'user',
      content: [{ type: 'text', text: 'more' }],
    });

    expect([first.seq, second.seq, third.seq]).toEqual([1, 2, 3]);
    expect([first.parentId, second.parentId, third.parentId]).toEqual([null, first.id, second.id]);
    expect(third.content).toEqual([{ type: 'text', text: 'more' }]);
    const after = await sut.conversation.findUniqueOrThrow({ where: { id: conversation.id } });
    expect(after.nextSeq).toBe(4);
    expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(conversation.updatedAt.getTime());
  });

  it('gives 20 concurrent appends on separate connections the seqs 1..20 with no gaps', async () => {
    const conversation = await newConversation();
    const wide = createPrismaClient(db.url, { maxConnections: 20 });
    try {
      const appended = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          appendMessage(wide, { conversationId: conversation.id, role: 'user', content: `tab ${i}` }),
        ),
      );

      expect(appended.map((m) => m.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const stored = await sut.message.findMany({
        where: { conversationId: conversation.id },
        orderBy: { seq: 'asc' },
      });
      expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      // Concurrent appends chain on one branch (each the child of the one before), never fork.
      expect(stored.map((m) => m.parentId)).toEqual([null, ...stored.slice(0, -1).map((m) => m.id)]);
      const leaf = await sut.conversation.findUniqueOrThrow({ where: { id: conversation.id } });
      expect(leaf.currentLeafId).toBe(stored[19]?.id);
      expect((await branchPath(sut, conversation.id, leaf.currentLeafId)).map((m) => m.id)).toEqual(
        stored.map((m) => m.id),
      );
    } finally {
      await wide.$disconnect();
    }
  }, 30_000);

  it('joins the caller transaction, and a rollback leaves no gap', async () => {
    const conversation = await newConversation();

    await expect(
      sut.$transaction(async (tx) => {
        await appendMessage(tx, { conversationId: conversation.id, role: 'user', content: 'lost' });
        throw new Error('abort the turn');
      }),
    ).rejects.toThrow('abort the turn');
    const kept = await sut.$transaction(async (tx) => {
      const user = await appendMessage(tx, {
        conversationId: conversation.id,
        role: 'user',
        content: 'q',
        requestId: 'req-tx',
      });
      const draft = await appendMessage(tx, {
        conversationId: conversation.id,
        role: 'assistant',
        content: '',
        status: 'streaming',
        requestId: 'req-tx',
      });
      return [user.seq, draft.seq];
    });

    expect(kept).toEqual([1, 2]);
  });

  it('rejects a second (conversation_id, seq) with a unique violation', async () => {
    const conversation = await newConversation();
    await appendMessage(sut, { conversationId: conversation.id, role: 'user', content: 'one' });

    const duplicate = sut.message.create({
      data: { conversationId: conversation.id, seq: 1, role: 'user', content: 'two' },
    });

    const err = await duplicate.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'P2002' });
    expect(isUniqueViolation(err, ['conversation_id', 'seq'])).toBe(true);
  });

  it('rejects a second assistant message for one request id, and allows the user message of that turn', async () => {
    const conversation = await newConversation();
    const requestId = `req-${randomUUID()}`;
    await appendMessage(sut, { conversationId: conversation.id, role: 'user', content: 'q', requestId });
    await appendMessage(sut, { conversationId: conversation.id, role: 'assistant', content: 'a', requestId });

    const replay = appendMessage(sut, {
      conversationId: conversation.id,
      role: 'assistant',
      content: 'again',
      requestId,
    });

    await expect(replay).rejects.toBeInstanceOf(DuplicateRequestError);
    const answers = await sut.message.findMany({ where: { requestId, role: 'assistant' } });
    expect(answers).toHaveLength(1);
    // The failed replay rolled its seq back: the next append continues densely.
    const next = await appendMessage(sut, { conversationId: conversation.id, role: 'user', content: 'next' });
    expect(next.seq).toBe(3);
  });

  it('stores an answer for a request id another conversation answered (its tenant chose the same id)', async () => {
    const requestId = `req-${randomUUID()}`;
    const a = await newConversation();
    const b = await newConversation();
    await appendMessage(sut, { conversationId: a.id, role: 'assistant', content: 'a', requestId });

    await appendMessage(sut, { conversationId: b.id, role: 'assistant', content: 'b', requestId });

    const answers = await sut.message.findMany({ where: { answerForRequestId: requestId } });
    expect(answers.map((m) => m.conversationId).sort()).toEqual([a.id, b.id].sort());
  });

  it('fails clearly for a conversation that does not exist', async () => {
    const missing = randomUUID();

    await expect(appendMessage(sut, { conversationId: missing, role: 'user', content: 'x' })).rejects.toThrow(
      new ConversationNotFoundError(missing),
    );
  });

  it('fails clearly for a conversation id that is not a uuid', async () => {
    await expect(
      appendMessage(sut, { conversationId: 'not-a-uuid', role: 'user', content: 'x' }),
    ).rejects.toBeInstanceOf(ConversationNotFoundError);
  });

  it('refuses to append to a deleted conversation', async () => {
    const conversation = await newConversation();
    await softDeleteConversation(sut, tenantId, conversation.id);

    await expect(
      appendMessage(sut, { conversationId: conversation.id, role: 'user', content: 'x' }),
    ).rejects.toBeInstanceOf(ConversationNotFoundError);
  });
});
