// Idempotency keys against real PostgreSQL with the committed migrations, through the real TurnStore: a
// repeat of a key with the same request fingerprint finds the first turn (nothing new stored); the same
// key with another fingerprint is FAILED_PRECONDITION (IDEMPOTENCY_KEY_REUSED) and stores nothing; once
// the key's window is over it starts a new turn, and the old turn keeps its record without the key.
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';
import { GrpcError } from '@hearth/grpc';
import { createTestDatabase, seedTenantUser, type TestDatabase } from '@hearth/testing';

import { status } from '@grpc/grpc-js';

import { TurnStore, type BeginTurnInput } from '../src/turns/turn.store';

jest.setTimeout(60_000);

const WINDOW_MS = 60_000;

describe('TurnStore idempotency keys', () => {
  let db: TestDatabase;
  let store: TurnStore;
  let tenantId: string;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ tenantId, userId } = await seedTenantUser(db.prisma));
    store = new TurnStore(db.prisma, db.statements, 60_000, WINDOW_MS);
  });

  afterAll(async () => {
    await db.drop();
  });

  function input(key: string, fingerprint: string, conversationId?: string): BeginTurnInput {
    return {
      tenantId,
      userId,
      requestId: `req-${randomUUID()}`,
      idempotencyKey: key,
      fingerprint,
      conversationId,
      model: 'tiny',
      params: {},
      messages: [
        { role: commonV1.Role.ROLE_USER, content: [{ text: 'hi' }], name: '', toolCalls: [], toolCallId: '' },
      ],
    };
  }

  const messagesOf = (conversationId: string) => db.prisma.message.count({ where: { conversationId } });

  it('replays a repeat with the same body and refuses one with another body, storing nothing for either', async () => {
    const conversation = await db.prisma.conversation.create({ data: { tenantId, userId } });
    const key = `key-${randomUUID()}`;
    const first = await store.begin(input(key, 'fingerprint-a', conversation.id));
    expect('begun' in first).toBe(true);
    expect(await messagesOf(conversation.id)).toBe(2);

    const repeat = await store.begin(input(key, 'fingerprint-a', conversation.id));
    expect('duplicate' in repeat && repeat.duplicate.id).toBe('begun' in first && first.begun.turnId);

    const other = store.begin(input(key, 'fingerprint-b', conversation.id));
    await expect(other).rejects.toBeInstanceOf(GrpcError);
    await expect(other).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(await messagesOf(conversation.id)).toBe(2);
  });

  it('refuses another body on a stateless turn too', async () => {
    const key = `key-${randomUUID()}`;
    expect('begun' in (await store.begin(input(key, 'fingerprint-a')))).toBe(true);
    await expect(store.begin(input(key, 'fingerprint-b'))).rejects.toMatchObject({
      reason: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('lets a key start a new turn once its window is over; the old turn keeps its record', async () => {
    const conversation = await db.prisma.conversation.create({ data: { tenantId, userId } });
    const key = `key-${randomUUID()}`;
    const first = await store.begin(input(key, 'fingerprint-a', conversation.id));
    if (!('begun' in first)) throw new Error('first turn not begun');
    await db.prisma.$executeRaw`
      UPDATE turn_traces SET created_at = now() - ${`${WINDOW_MS + 1000} milliseconds`}::interval
       WHERE id = ${first.begun.turnId}::uuid`;

    const second = await store.begin(input(key, 'fingerprint-b', conversation.id));
    if (!('begun' in second)) throw new Error('second turn not begun');
    expect(second.begun.turnId).not.toBe(first.begun.turnId);
    expect(await messagesOf(conversation.id)).toBe(4);
    const old = await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: first.begun.turnId } });
    expect(old.idempotencyKey).toBeNull();
    const current = await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: second.begun.turnId } });
    expect(current).toMatchObject({ idempotencyKey: key, requestFingerprint: 'fingerprint-b' });
  });
});
