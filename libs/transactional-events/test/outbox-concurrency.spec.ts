import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { createKafkaClient, defineTopic, EventProducer, usageEventSchema } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, waitFor, type TestDatabase } from '@hearth/testing';

import type { Kafka } from 'kafkajs';

import { enqueue, OutboxRelay } from '../src';
import {
  createTopics,
  kafkaBrokersFromEnv,
  topicMessageCount,
  uniqueSuffix,
  usageEvent,
} from './support/event.fixtures';

describe(`${OutboxRelay.name} concurrency`, () => {
  const logger = createLogger({ service: 'outbox-concurrency-spec', level: 'error' });
  const topic = defineTopic(`llm.usage.v1.test-${uniqueSuffix()}`, usageEventSchema);
  let db: TestDatabase;
  let kafka: Kafka;
  let producers: EventProducer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    kafka = createKafkaClient({
      clientId: 'outbox-concurrency-spec',
      brokers: kafkaBrokersFromEnv(),
      logger,
    });
    await createTopics(kafka, [topic.name]);
    producers = [new EventProducer({ kafka }), new EventProducer({ kafka })];
  }, 60_000);

  afterAll(async () => {
    await Promise.all(producers.map((producer) => producer.disconnect()));
    await db?.drop();
  }, 30_000);

  it('never lets two relays send the same row', async () => {
    await db.prisma.$transaction(async (tx) => {
      for (let i = 0; i < 100; i++) await enqueue(tx, topic, usageEvent());
    });
    // The slow relay holds its first batch's row locks for a while: the other must skip past them.
    const slow = new OutboxRelay({
      prisma: db.prisma,
      statements: db.statements,
      producer: producers[0],
      logger,
      batchSize: 10,
      pollIntervalMs: 50,
      hooks: { afterPublish: () => sleep(300) },
    });
    const fast = new OutboxRelay({
      prisma: db.prisma,
      statements: db.statements,
      producer: producers[1],
      logger,
      batchSize: 10,
      pollIntervalMs: 50,
    });

    slow.start();
    fast.start();
    try {
      await waitFor(
        'both relays to drain the outbox',
        async () => (await db.prisma.outboxEvent.count({ where: { publishedAt: null } })) === 0,
      );
    } finally {
      await Promise.all([slow.stop(), fast.stop()]);
    }

    expect(slow.stats.published + fast.stats.published).toBe(100);
    expect(slow.stats.published).toBeGreaterThanOrEqual(10);
    expect(fast.stats.published).toBeGreaterThanOrEqual(10);
    expect(await topicMessageCount(kafka, topic.name)).toBe(100);
  }, 60_000);

  it('refuses to enqueue a malformed event and rolls back the caller transaction with it', async () => {
    const requestId = `req-${randomUUID()}`;

    const attempt = db.prisma.$transaction(async (tx) => {
      await enqueue(tx, topic, usageEvent(randomUUID(), { requestId }));
      await enqueue(tx, topic, usageEvent('not-a-tenant-uuid'));
    });

    await expect(attempt).rejects.toThrow(`Invalid ${topic.name} event: tenantId: Invalid UUID`);
    expect(
      await db.prisma.outboxEvent.count({
        where: { payload: { path: ['payload', 'requestId'], equals: requestId } },
      }),
    ).toBe(0);
  });
});
