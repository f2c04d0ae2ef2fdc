import { randomUUID } from 'node:crypto';

import {
  createKafkaClient,
  DEAD_LETTER_HEADERS,
  defineTopic,
  EVENT_HEADERS,
  EventProducer,
  EventValidationError,
  usageEventSchema,
  type UsageEvent,
} from '@hearth/events';
import { createLogger, startTelemetry, withSpan, type TelemetryShutdown } from '@hearth/telemetry';
import { createTestDatabase, waitFor, type TestDatabase } from '@hearth/testing';

import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';

import { EventConsumer } from '../src';
import {
  collectMessages,
  createTopics,
  headerText,
  kafkaBrokersFromEnv,
  topicMessageCount,
  uniqueSuffix,
  usageEvent,
  type CollectedMessage,
} from './support/event.fixtures';

interface Received {
  event: UsageEvent;
  traceId: string;
  headers: Record<string, string>;
}

describe(EventConsumer.name, () => {
  const logger = createLogger({ service: 'events-round-trip-spec', level: 'error' });
  const suffix = uniqueSuffix();
  const topic = defineTopic(`llm.usage.v1.test-${suffix}`, usageEventSchema);
  const groupId = `usage-aggregator-${suffix}`;
  const spans = new InMemorySpanExporter();
  const received: Received[] = [];
  /** Fails the handler for these event ids once, to prove the dedupe record rolls back with it. */
  const failOnce = new Set<string>();

  let shutdownTelemetry: TelemetryShutdown;
  let kafka: Kafka;
  let db: TestDatabase;
  let producer: EventProducer;
  let rawProducer: Producer;
  let sut: EventConsumer<typeof topic>;
  let deadLetters: { messages: CollectedMessage[]; stop: () => Promise<void> };

  beforeAll(async () => {
    shutdownTelemetry = startTelemetry({
      serviceName: 'events-spec',
      spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    kafka = createKafkaClient({ clientId: `events-spec-${suffix}`, brokers: kafkaBrokersFromEnv(), logger });
    db = await createTestDatabase();
    await db.prisma.$executeRawUnsafe(
      'CREATE TABLE test_tenant_usage (tenant_id uuid PRIMARY KEY, events int NOT NULL, output_tokens int NOT NULL)',
    );
    await createTopics(kafka, [topic.name, topic.deadLetter]);

    producer = new EventProducer({ kafka });
    await producer.connect();
    rawProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await rawProducer.connect();
    deadLetters = await collectMessages(kafka, topic.deadLetter);

    sut = new EventConsumer({
      kafka,
      prisma: db.prisma,
      groupId,
      topic,
      logger,
      fromBeginning: true,
      handler: async (event, { tx, span, message, afterCommit }) => {
        if (failOnce.delete(event.id)) throw new Error('transient handler failure');
        // A deliberately non-idempotent effect (an increment): only the dedupe record keeps it single.
        await tx.$executeRaw`
          INSERT INTO test_tenant_usage (tenant_id, events, output_tokens)
          VALUES (${event.tenantId}::uuid, 1, ${event.payload.outputTokens})
          ON CONFLICT (tenant_id) DO UPDATE
          SET events = test_tenant_usage.events + 1, output_tokens = test_tenant_usage.output_tokens + EXCLUDED.output_tokens`;
        // Recorded at commit: a batch rolled back and applied again must not record its events twice.
        afterCommit(() =>
          received.push({
            event,
            traceId: span.spanContext().traceId,
            headers: Object.fromEntries(
              Object.entries(message.headers).map(([key, value]) => [key, String(value)]),
            ),
          }),
        );
      },
    });
    await sut.start();
  }, 60_000);

  afterAll(async () => {
    await sut?.stop();
    await deadLetters?.stop();
    await rawProducer?.disconnect();
    await producer?.disconnect();
    await db?.drop();
    await shutdownTelemetry?.();
  }, 30_000);

  async function tenantUsage(
    tenantId: string,
  ): Promise<{ events: number; output_tokens: number } | undefined> {
    const rows = await db.prisma.$queryRaw<{ events: number; output_tokens: number }[]>`
      SELECT events, output_tokens FROM test_tenant_usage WHERE tenant_id = ${tenantId}::uuid`;
    return rows[0];
  }

  it('delivers a valid event with the trace context and event metadata in its headers', async () => {
    const event = usageEvent();

    const { traceId, published } = await withSpan('chat turn', async (span) => ({
      traceId: span.spanContext().traceId,
      published: await producer.publish(topic, event),
    }));
    const delivery = await waitFor('the event to reach the handler', () =>
      received.find((r) => r.event.id === event.id),
    );

    expect(published[0].traceId).toBe(traceId);
    expect(delivery.event).toEqual(published[0]);
    expect(delivery.traceId).toBe(traceId);
    expect(delivery.headers[EVENT_HEADERS.id]).toBe(event.id);
    expect(delivery.headers[EVENT_HEADERS.type]).toBe('llm.usage');
    expect(delivery.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const publishSpan = spans
      .getFinishedSpans()
      .find((s) => s.name === `${topic.name} publish` && s.spanContext().traceId === traceId);
    const processSpan = await waitFor('the consumer span to finish', () =>
      spans
        .getFinishedSpans()
        .find((s) => s.name === `${topic.name} process` && s.spanContext().traceId === traceId),
    );
    expect(processSpan.parentSpanContext?.spanId).toBe(publishSpan?.spanContext().spanId);
    expect(await tenantUsage(event.tenantId)).toEqual({ events: 1, output_tokens: 5 });
  });

  it('refuses a malformed event before sending anything, naming the bad field', async () => {
    const before = await topicMessageCount(kafka, topic.name);
    const bad = usageEvent(randomUUID(), { outputTokens: 'five' as unknown as number });

    const attempt = producer.publish(topic, bad);

    await expect(attempt).rejects.toThrow(EventValidationError);
    await expect(producer.publish(topic, bad)).rejects.toThrow(
      `Invalid ${topic.name} event: payload.outputTokens: Invalid input: expected number, received string`,
    );
    expect(await topicMessageCount(kafka, topic.name)).toBe(before);
  });

  it('routes malformed messages from a raw producer to the dead-letter topic and keeps consuming', async () => {
    const tenantId = randomUUID();
    const invalid = { ...usageEvent(tenantId), payload: { requestId: 'r-1' } };
    await rawProducer.send({
      topic: topic.name,
      messages: [
        { key: tenantId, value: JSON.stringify(invalid), headers: { 'x-origin': 'raw-producer' } },
        { key: tenantId, value: 'not json at all' },
      ],
    });
    const valid = usageEvent(tenantId);
    await producer.publish(topic, valid);

    const [schemaFailure, jsonFailure] = await waitFor('two dead letters', () =>
      deadLetters.messages.length >= 2 ? deadLetters.messages : undefined,
    );
    await waitFor('the valid event after them to be handled', () =>
      received.find((r) => r.event.id === valid.id),
    );

    expect(schemaFailure.message.value?.toString()).toBe(JSON.stringify(invalid));
    expect(headerText(schemaFailure.message, DEAD_LETTER_HEADERS.error)).toMatch(
      new RegExp(
        `^Invalid ${topic.name.replace(/\./g, '\\.')} event: payload\\.apiKeyId: .*payload\\.model: `,
      ),
    );
    expect(headerText(schemaFailure.message, DEAD_LETTER_HEADERS.sourceTopic)).toBe(topic.name);
    expect(headerText(schemaFailure.message, DEAD_LETTER_HEADERS.consumerGroup)).toBe(groupId);
    expect(headerText(schemaFailure.message, DEAD_LETTER_HEADERS.sourceOffset)).toMatch(/^\d+$/);
    expect(headerText(schemaFailure.message, 'x-origin')).toBe('raw-producer');
    expect(schemaFailure.message.key?.toString()).toBe(tenantId);
    expect(headerText(jsonFailure.message, DEAD_LETTER_HEADERS.error)).toMatch(/^value is not JSON: /);
    expect(await tenantUsage(tenantId)).toEqual({ events: 1, output_tokens: 5 });
  });

  it('applies a redelivered event once', async () => {
    const event = usageEvent();

    await producer.publish(topic, event);
    await producer.publish(topic, event);
    const marker = usageEvent(event.tenantId);
    await producer.publish(topic, marker);
    await waitFor('the marker after the duplicate', () => received.find((r) => r.event.id === marker.id));

    expect(received.filter((r) => r.event.id === event.id)).toHaveLength(1);
    expect(
      await db.prisma.processedEvent.count({ where: { consumerGroup: groupId, eventId: event.id } }),
    ).toBe(1);
    expect(await tenantUsage(event.tenantId)).toEqual({ events: 2, output_tokens: 10 });
  });

  it('rolls the dedupe record back with a failed handler, so the retry applies the event', async () => {
    const event = usageEvent();
    failOnce.add(event.id);

    await producer.publish(topic, event);
    await waitFor('the retried event to be handled', () => received.find((r) => r.event.id === event.id), {
      timeoutMs: 30_000,
    });

    expect(failOnce.has(event.id)).toBe(false);
    expect(
      await db.prisma.processedEvent.count({ where: { consumerGroup: groupId, eventId: event.id } }),
    ).toBe(1);
    expect(await tenantUsage(event.tenantId)).toEqual({ events: 1, output_tokens: 5 });
  }, 40_000);

  it('applies a burst in shared transactions: each event once, a duplicate skipped, a failing one retried alone', async () => {
    const tenantId = randomUUID();
    const burst = Array.from({ length: 60 }, () => usageEvent(tenantId));
    failOnce.add(burst[30]!.id);

    await Promise.all([...burst, burst[10]!].map((event) => producer.publish(topic, event)));
    await waitFor(
      'every event of the burst',
      () => burst.every((event) => received.some((r) => r.event.id === event.id)),
      { timeoutMs: 30_000 },
    );

    // The failed handler rolled back every event of its batch; they were applied again one by one.
    for (const event of burst) expect(received.filter((r) => r.event.id === event.id)).toHaveLength(1);
    expect(failOnce.has(burst[30]!.id)).toBe(false);
    expect(
      await db.prisma.processedEvent.count({
        where: { consumerGroup: groupId, eventId: { in: burst.map((event) => event.id) } },
      }),
    ).toBe(60);
    expect(await tenantUsage(tenantId)).toEqual({ events: 60, output_tokens: 300 });
  }, 40_000);

  it('starts on a topic nobody has created yet and applies the first event published to it', async () => {
    const freshTopic = defineTopic(`llm.usage.v1.fresh-${uniqueSuffix()}`, usageEventSchema);
    const applied: string[] = [];
    const consumer = new EventConsumer({
      kafka,
      prisma: db.prisma,
      groupId: `fresh-${uniqueSuffix()}`,
      topic: freshTopic,
      logger,
      fromBeginning: true,
      handler: async (event) => {
        applied.push(event.id);
      },
    });
    try {
      await consumer.start();
      const admin = kafka.admin();
      await admin.connect();
      const leaders = await admin
        .fetchTopicMetadata({ topics: [freshTopic.name] })
        .finally(() => admin.disconnect());
      expect(leaders.topics[0]!.partitions.every((partition) => partition.leader >= 0)).toBe(true);

      const event = usageEvent();
      await producer.publish(freshTopic, event);
      await waitFor('the first event on the fresh topic', () => applied.includes(event.id), {
        timeoutMs: 30_000,
      });
      expect(applied).toEqual([event.id]);
    } finally {
      await consumer.stop();
    }
  }, 60_000);
});
