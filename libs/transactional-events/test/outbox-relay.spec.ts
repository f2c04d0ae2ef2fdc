import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import { createKafkaClient, EventProducer, USAGE_TOPIC, type UsageEvent } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, KafkaBroker, settleWithin, waitFor, type TestDatabase } from '@hearth/testing';

import type { Kafka } from 'kafkajs';

import { enqueue, EventConsumer, OutboxRelay } from '../src';
import { createTopics, topicMessageCount, usageEvent } from './support/event.fixtures';

const EVENTS = 100;
const PER_TRANSACTION = 5;
const RELAY_BATCH = 10;
const CRASH_AFTER = 40;

describe(OutboxRelay.name, () => {
  const logger = createLogger({ service: 'outbox-relay-spec', level: 'error' });
  const broker = new KafkaBroker();
  let db: TestDatabase;
  let kafka: Kafka;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The broker must be down while events are written, but its address must exist first.
    [db] = await Promise.all([createTestDatabase(), broker.start()]);
    kafka = createKafkaClient({
      clientId: 'outbox-relay-spec',
      brokers: [broker.brokers],
      logger,
      connectionTimeoutMs: 1_000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    await createTopics(kafka, [USAGE_TOPIC.name, USAGE_TOPIC.deadLetter]);
    await broker.stop();
    await db.prisma.$executeRawUnsafe('CREATE TABLE test_charges (id int PRIMARY KEY, charged int NOT NULL)');
    await db.prisma.$executeRawUnsafe('INSERT INTO test_charges VALUES (1, 0)');
    await db.prisma.$executeRawUnsafe('CREATE TABLE test_turns (request_id text PRIMARY KEY)');
  }, 120_000);

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db?.drop();
    await broker.destroy();
  }, 60_000);

  function startRelayProcess(env: Record<string, string>): {
    child: ChildProcess;
    exited: Promise<NodeJS.Signals | number | null>;
  } {
    const child = fork(join(__dirname, 'fixtures', 'outbox-relay.fixture.ts'), [], {
      // The repo root's tsconfig covers every lib, so tsx compiles @hearth/db (decorators) as tsc does.
      cwd: join(__dirname, '..', '..', '..'),
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        KAFKA_BROKERS: broker.brokers,
        BATCH_SIZE: String(RELAY_BATCH),
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    return { child, exited };
  }

  async function outboxCounts(): Promise<{ pending: number; published: number; failedAttempts: number }> {
    const [row] = await db.prisma.$queryRaw<
      { pending: number; published: number; failed_attempts: number }[]
    >`
      SELECT count(*) FILTER (WHERE published_at IS NULL)::int AS pending,
             count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published,
             count(*) FILTER (WHERE attempts > 0 AND last_error IS NOT NULL)::int AS failed_attempts
      FROM outbox_events`;
    return { pending: row.pending, published: row.published, failedAttempts: row.failed_attempts };
  }

  async function charged(): Promise<number> {
    const [row] = await db.prisma.$queryRaw<
      { charged: number }[]
    >`SELECT charged FROM test_charges WHERE id = 1`;
    return row.charged;
  }

  it('delivers events written during an outage once in effect, across a relay killed mid-batch', async () => {
    // 1. The broker is down; the turns and their usage events commit together.
    const written: UsageEvent[] = [];
    const tenants = [randomUUID(), randomUUID(), randomUUID()];
    for (let i = 0; i < EVENTS / PER_TRANSACTION; i++) {
      await db.prisma.$transaction(async (tx) => {
        for (let j = 0; j < PER_TRANSACTION; j++) {
          const event = usageEvent(tenants[(i * PER_TRANSACTION + j) % tenants.length]);
          await tx.$executeRaw`INSERT INTO test_turns (request_id) VALUES (${event.payload.requestId})`;
          written.push(await enqueue(tx, USAGE_TOPIC, event));
        }
      });
    }
    expect(await outboxCounts()).toEqual({ pending: EVENTS, published: 0, failedAttempts: 0 });

    // 2. A relay runs against the dead broker: it fails, records why, and keeps backing off.
    const first = startRelayProcess({ CRASH_AFTER: String(CRASH_AFTER) });
    await Promise.race([
      waitFor('the relay to record a failed publish', async () => (await outboxCounts()).failedAttempts > 0, {
        timeoutMs: 20_000,
      }),
      first.exited.then((exit) => {
        throw new Error(`the relay process exited early (${String(exit)})`);
      }),
    ]);
    expect((await outboxCounts()).published).toBe(0);

    // 3. The broker comes back; the relay resumes and dies after Kafka acked its 4th batch, unmarked.
    await broker.start();
    const exit = await settleWithin(first.exited, 30_000, 'still running after 30 s');
    expect(exit).toBe('SIGKILL');
    expect(await outboxCounts()).toMatchObject({
      pending: EVENTS - (CRASH_AFTER - RELAY_BATCH),
      published: CRASH_AFTER - RELAY_BATCH,
    });
    // Kafka holds the killed batch although its rows are unmarked (more only if a publish that
    // reported failure had in fact been written: at-least-once allows that too).
    const onTopicAtCrash = await topicMessageCount(kafka, USAGE_TOPIC.name);
    expect(onTopicAtCrash).toBeGreaterThanOrEqual(CRASH_AFTER);

    // 4. A new relay takes over and a consumer applies a non-idempotent effect per event.
    const producer = new EventProducer({ kafka, connectTimeoutMs: 10_000, sendTimeoutMs: 10_000 });
    const sut = new OutboxRelay({
      prisma: db.prisma,
      statements: db.statements,
      producer,
      logger,
      batchSize: RELAY_BATCH,
      pollIntervalMs: 100,
    });
    const groupId = `usage-billing-${randomUUID().slice(0, 8)}`;
    const consumer = new EventConsumer({
      kafka,
      prisma: db.prisma,
      groupId,
      topic: USAGE_TOPIC,
      logger,
      fromBeginning: true,
      handler: async (_event, { tx }) => {
        await tx.$executeRaw`UPDATE test_charges SET charged = charged + 1 WHERE id = 1`;
      },
    });
    try {
      sut.start();
      await consumer.start();
      await waitFor('the outbox to drain', async () => (await outboxCounts()).pending === 0, {
        timeoutMs: 20_000,
      });
      // Everything unmarked is sent (again): the killed batch goes twice.
      const total = await topicMessageCount(kafka, USAGE_TOPIC.name);
      expect(total).toBeGreaterThanOrEqual(onTopicAtCrash + EVENTS - (CRASH_AFTER - RELAY_BATCH));
      await waitFor(
        'the consumer to commit past every message',
        async () => {
          const admin = kafka.admin();
          await admin.connect();
          try {
            const [offsets] = await admin.fetchOffsets({ groupId, topics: [USAGE_TOPIC.name] });
            return offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === total;
          } finally {
            await admin.disconnect();
          }
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );

      // 5. At least 110 messages were consumed (the killed batch went twice), yet 100 effects.
      expect(total).toBeGreaterThanOrEqual(EVENTS + RELAY_BATCH);
      expect(await charged()).toBe(EVENTS);
      expect(await db.prisma.processedEvent.count({ where: { consumerGroup: groupId } })).toBe(EVENTS);
      const processed = await db.prisma.processedEvent.findMany({
        where: { consumerGroup: groupId },
        select: { eventId: true },
      });
      expect(new Set(processed.map((p) => p.eventId))).toEqual(new Set(written.map((e) => e.id)));
    } finally {
      await consumer.stop();
      await sut.stop();
      await producer.disconnect();
    }
  }, 120_000);
});
