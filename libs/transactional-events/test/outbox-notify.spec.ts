import { createPrismaClient, type PrismaClient } from '@hearth/db';
import { createKafkaClient, defineTopic, EventProducer, usageEventSchema } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, freePort, waitFor, type TestDatabase } from '@hearth/testing';

import type { Kafka } from 'kafkajs';

import { enqueue, OUTBOX_CHANNEL, OutboxRelay } from '../src';
import {
  createTopics,
  kafkaBrokersFromEnv,
  topicMessageCount,
  uniqueSuffix,
  usageEvent,
} from './support/event.fixtures';

/** Longer than any wait of these specs: a row published within one was not published by this poll. */
const NEVER_MS = 600_000;

describe(`${OutboxRelay.name} notifications`, () => {
  const logger = createLogger({ service: 'outbox-notify-spec', level: 'error' });
  const topic = defineTopic(`llm.usage.v1.test-${uniqueSuffix()}`, usageEventSchema);
  const service = `outbox-notify-spec-${uniqueSuffix()}`;
  let db: TestDatabase;
  let kafka: Kafka;
  let producer: EventProducer;
  /** Writes as the relay's service does: a pool named like the relay's. */
  let writer: PrismaClient;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    kafka = createKafkaClient({ clientId: 'outbox-notify-spec', brokers: kafkaBrokersFromEnv(), logger });
    await createTopics(kafka, [topic.name]);
    producer = new EventProducer({ kafka });
    writer = createPrismaClient(db.url, { applicationName: service });
  }, 60_000);

  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  afterAll(async () => {
    await writer?.$disconnect();
    await producer?.disconnect();
    await db?.drop();
  }, 30_000);

  async function write(): Promise<string> {
    const event = await writer.$transaction((tx) => enqueue(tx, topic, usageEvent()));
    return event.id;
  }

  async function published(id: string): Promise<boolean> {
    const row = await db.prisma.outboxEvent.findUnique({ where: { id } });
    return row?.publishedAt !== null && row?.publishedAt !== undefined;
  }

  /** A relay listening as `service` that polls only every `idlePollIntervalMs`, started and listening. */
  async function startListeningRelay(idlePollIntervalMs: number): Promise<OutboxRelay> {
    const started = new OutboxRelay({
      prisma: db.prisma,
      statements: db.statements,
      producer,
      logger,
      listen: { databaseUrl: db.url, applicationName: service },
      pollIntervalMs: NEVER_MS,
      idlePollIntervalMs,
    });
    relay = started;
    started.start();
    await listening();
    return started;
  }

  /** Until the relay's own connection has run its LISTEN. */
  async function listening(): Promise<void> {
    await waitFor('the relay to listen', async () => {
      const rows = await db.prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = ${db.name} AND application_name = ${`${service}-listen`}
          AND query = ${`LISTEN ${OUTBOX_CHANNEL}`}`;
      return rows[0]?.n === 1;
    });
  }

  it('publishes a committed row on its notification, without waiting for a poll', async () => {
    const sut = await startListeningRelay(NEVER_MS);
    const before = await topicMessageCount(kafka, topic.name);

    // The first row may meet the poll that follows the LISTEN; after it, the relay waits on polls
    // that never come within this spec, so the second row can only go out on its notification.
    const first = await write();
    await waitFor('the first row to be published', () => published(first));
    const second = await write();
    await waitFor('the second row to be published on its notification', () => published(second));

    expect(sut.stats.published).toBe(2);
    expect(await topicMessageCount(kafka, topic.name)).toBe(before + 2);
  }, 60_000);

  it('publishes a row whose notification was missed on its slow poll', async () => {
    const sut = await startListeningRelay(1_000);
    await db.prisma.$executeRawUnsafe('ALTER TABLE outbox_events DISABLE TRIGGER outbox_events_notify');
    try {
      const id = await write();
      await waitFor('the unannounced row to be published by the slow poll', () => published(id));
    } finally {
      await db.prisma.$executeRawUnsafe('ALTER TABLE outbox_events ENABLE TRIGGER outbox_events_notify');
    }
    expect(sut.stats.published).toBe(1);
  }, 60_000);

  it('polls at its fast pace while it cannot listen', async () => {
    const unreachable = new URL(db.url);
    unreachable.port = String(await freePort());
    relay = new OutboxRelay({
      prisma: db.prisma,
      statements: db.statements,
      producer,
      logger: createLogger({ service: 'outbox-notify-spec', level: 'silent' }),
      listen: { databaseUrl: unreachable.toString(), applicationName: service },
      pollIntervalMs: 100,
      idlePollIntervalMs: NEVER_MS,
    });
    relay.start();
    // As above, the first row may meet the relay's first poll; the second only a later one.
    const first = await write();
    await waitFor('the first row to be published', () => published(first));
    const second = await write();
    await waitFor('the second row to be published by the fast poll', () => published(second));
    expect(relay.stats.published).toBe(2);
  }, 60_000);
});
