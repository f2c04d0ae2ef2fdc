import { randomUUID } from 'node:crypto';

import { createTestDatabase, type TestDatabase } from '@hearth/testing';

import { isUniqueViolation, type PrismaClient } from '../src';

// Deduplication the platform relies on lives in the schema; these pin it down.
describe('schema constraints', () => {
  let db: TestDatabase;
  let sut: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    sut = db.prisma;
  }, 120_000);

  afterAll(() => db?.drop());

  const usage = (requestId: string, tenantId: string = randomUUID()) => ({
    requestId,
    tenantId,
    model: 'gemma-3-270m',
    inputTokens: 12,
    cachedTokens: 4,
    outputTokens: 30,
    costMicros: 1234n,
    latencyMs: 250,
    status: 'succeeded',
  });

  it('stores a usage event with a BigInt cost', async () => {
    const stored = await sut.usageEvent.create({ data: usage(`req-${randomUUID()}`) });

    expect(stored.costMicros).toBe(1234n);
    expect(stored.cached).toBe(false);
  });

  it("rejects a second usage event for a tenant's request id, so a retry never double-charges", async () => {
    const requestId = `req-${randomUUID()}`;
    const tenantId = randomUUID();
    await sut.usageEvent.create({ data: usage(requestId, tenantId) });

    const err = await sut.usageEvent.create({ data: usage(requestId, tenantId) }).catch((e: unknown) => e);

    expect(isUniqueViolation(err, ['tenant_id', 'request_id'])).toBe(true);
    expect(await sut.usageEvent.count({ where: { requestId } })).toBe(1);
  });

  it('stores the same request id once for each tenant that used it', async () => {
    const requestId = `req-${randomUUID()}`;
    await sut.usageEvent.create({ data: usage(requestId) });
    await sut.usageEvent.create({ data: usage(requestId) });

    expect(await sut.usageEvent.count({ where: { requestId } })).toBe(2);
  });

  it('lets a consumer group process an event once, and another group independently', async () => {
    const eventId = randomUUID();
    await sut.processedEvent.create({ data: { consumerGroup: 'usage-aggregator', eventId } });
    await sut.processedEvent.create({ data: { consumerGroup: 'audit-writer', eventId } });

    const err = await sut.processedEvent
      .create({ data: { consumerGroup: 'usage-aggregator', eventId } })
      .catch((e: unknown) => e);

    expect(isUniqueViolation(err, ['consumer_group', 'event_id'])).toBe(true);
  });

  it('rejects a second tool call with the same idempotency key', async () => {
    const tenant = await sut.tenant.create({ data: { name: 't', slug: `t-${randomUUID()}` } });
    const call = {
      idempotencyKey: `idem-${randomUUID()}`,
      tenantId: tenant.id,
      name: 'send_email',
      arguments: { to: 'a@b.c' },
      status: 'pending_confirmation' as const,
    };
    await sut.toolCall.create({ data: call });

    await expect(sut.toolCall.create({ data: call })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('finds unpublished outbox events in creation order', async () => {
    const topic = `llm.usage.v1.${randomUUID()}`;
    const first = await sut.outboxEvent.create({ data: { topic, key: 't1', payload: { n: 1 } } });
    await sut.outboxEvent.create({ data: { topic, key: 't1', payload: { n: 2 }, publishedAt: new Date() } });
    const third = await sut.outboxEvent.create({ data: { topic, key: 't1', payload: { n: 3 } } });

    const pending = await sut.outboxEvent.findMany({
      where: { topic, publishedAt: null },
      orderBy: { createdAt: 'asc' },
    });

    expect(pending.map((e) => e.id)).toEqual([first.id, third.id]);
    expect(first).toMatchObject({ attempts: 0, headers: {}, lastError: null });
  });

  it('rejects a message whose status is not one of the enum values', async () => {
    const err = await sut
      .$executeRawUnsafe(
        `INSERT INTO messages (id, conversation_id, seq, role, content, status) VALUES ($1::uuid, $1::uuid, 1, 'user', '{}', 'done')`,
        randomUUID(),
      )
      .catch((e: unknown) => e);

    expect(String(err)).toMatch(/invalid input value for enum message_status/);
  });
});
