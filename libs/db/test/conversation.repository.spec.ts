import { createTestDatabase, type TestDatabase } from '@hearth/testing';

import {
  createConversation,
  InvalidCursorError,
  listConversations,
  softDeleteConversation,
  type PrismaClient,
} from '../src';
import { seedTenantUser } from './db-fixtures';

describe(listConversations.name, () => {
  let db: TestDatabase;
  let sut: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = db.prisma;
  }, 120_000);

  afterAll(() => db?.drop());

  it('lists the newest first and excludes tombstoned conversations', async () => {
    const { tenantId, userId } = await seedTenantUser(sut);
    const kept = await createConversation(sut, { tenantId, userId, title: 'kept' });
    const deleted = await createConversation(sut, { tenantId, userId, title: 'deleted' });
    const newest = await createConversation(sut, { tenantId, userId, title: 'newest' });

    expect(await softDeleteConversation(sut, tenantId, deleted.id)).toBe(true);
    const page = await listConversations(sut, { tenantId, userId, limit: 10 });

    expect(page.items.map((c) => c.id)).toEqual([newest.id, kept.id]);
    expect(page.nextCursor).toBeNull();
  });

  it('does not tombstone another tenant’s conversation', async () => {
    const owner = await seedTenantUser(sut);
    const other = await seedTenantUser(sut);
    const conversation = await createConversation(sut, owner);

    expect(await softDeleteConversation(sut, other.tenantId, conversation.id)).toBe(false);
    expect((await listConversations(sut, { ...owner, limit: 10 })).items).toHaveLength(1);
  });

  it('pages through conversations with equal timestamps without skipping or repeating', async () => {
    const { tenantId, userId } = await seedTenantUser(sut);
    const sameInstant = new Date('2030-01-01T00:00:00.000Z');
    for (let i = 0; i < 5; i++) {
      await sut.conversation.create({ data: { tenantId, userId, title: `c${i}`, updatedAt: sameInstant } });
    }

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listConversations(sut, { tenantId, userId, limit: 2, cursor });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);

    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect([...seen]).toEqual([...seen].sort().reverse());
  });

  it('rejects a malformed cursor', async () => {
    const { tenantId, userId } = await seedTenantUser(sut);

    await expect(
      listConversations(sut, { tenantId, userId, limit: 2, cursor: 'garbage' }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
    // Well-formed JSON that this repository never encodes: an id that is no uuid, a year PostgreSQL
    // cannot store. Refused as a bad cursor, not sent to the database (which would fail the query).
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      forged(['2024-01-01T00:00:00.000Z', 'x']),
      forged(['-010000-01-01T00:00:00.000Z', '7d0c3d4e-1111-4aaa-8bbb-000000000000']),
    ]) {
      await expect(listConversations(sut, { tenantId, userId, limit: 2, cursor })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    }
  });

  it('rejects a page size outside 1..100', async () => {
    const { tenantId, userId } = await seedTenantUser(sut);

    await expect(listConversations(sut, { tenantId, userId, limit: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});
