// EventConsumer with maxAttempts: a handler that fails and then succeeds applies the event once; one
// that keeps failing dead-letters the event after the last try (with the error as reason) and the
// next event is handled; an error isPoison clears of blame is never counted: kafkajs redelivers until
// the handler succeeds, and nothing reaches the dead-letter topic.
import { randomUUID } from 'node:crypto';

import {
  createKafkaClient,
  DEAD_LETTER_HEADERS,
  defineTopic,
  EventProducer,
  usageEventSchema,
} from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, waitFor, type TestDatabase } from '@hearth/testing';

import type { Kafka } from 'kafkajs';

import { EventConsumer, type EventOutcome } from '../src';
import {
  collectMessages,
  createTopics,
  headerText,
  kafkaBrokersFromEnv,
  uniqueSuffix,
  usageEvent,
  type CollectedMessage,
} from './support/event.fixtures';

class DatabaseDownError extends Error {}

describe(`${EventConsumer.name} with maxAttempts`, () => {
  const logger = createLogger({ service: 'events-attempts-spec', level: 'silent' });
  const suffix = uniqueSuffix();
  const topic = defineTopic(`llm.usage.v1.attempts-${suffix}`, usageEventSchema);
  /** Event id → errors the handler throws for it, in order, before it succeeds. */
  const failures = new Map<string, Error[]>();
  const applied: string[] = [];
  const outcomes: EventOutcome[] = [];

  let kafka: Kafka;
  let db: TestDatabase;
  let producer: EventProducer;
  let sut: EventConsumer<typeof topic>;
  let deadLetters: { messages: CollectedMessage[]; stop: () => Promise<void> };

  beforeAll(async () => {
    kafka = createKafkaClient({
      clientId: `events-attempts-${suffix}`,
      brokers: kafkaBrokersFromEnv(),
      logger,
    });
    db = await createTestDatabase();
    await createTopics(kafka, [topic.name, topic.deadLetter]);
    producer = new EventProducer({ kafka });
    await producer.connect();
    deadLetters = await collectMessages(kafka, topic.deadLetter);
    sut = new EventConsumer({
      kafka,
      prisma: db.prisma,
      groupId: `attempts-${suffix}`,
      topic,
      logger,
      fromBeginning: true,
      maxAttempts: 2,
      attemptBackoffMs: 20,
      isPoison: (error) => !(error instanceof DatabaseDownError),
      retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 10 },
      onOutcome: (outcome) => outcomes.push(outcome),
      handler: async (event) => {
        const error = failures.get(event.id)?.shift();
        if (error) throw error;
        applied.push(event.id);
      },
    });
    await sut.start();
  }, 60_000);

  afterAll(async () => {
    await sut?.stop();
    await deadLetters?.stop();
    await producer?.disconnect();
    await db?.drop();
  }, 30_000);

  it('applies an event whose handler fails once, on the second try', async () => {
    const event = usageEvent();
    failures.set(event.id, [new Error('flaky')]);

    await producer.publish(topic, event);

    // The outcome is reported after the handler's transaction committed: wait for it, not the handler.
    const outcome = await waitFor('the applied outcome', () =>
      outcomes.find((o) => 'eventId' in o && o.eventId === event.id),
    );
    expect(outcome).toEqual({ kind: 'applied', topic: topic.name, eventId: event.id, attempts: 2 });
    expect(applied).toContain(event.id);
  });

  it('dead-letters an event whose handler keeps failing, with the last error, and goes on', async () => {
    const tenantId = randomUUID();
    const poison = usageEvent(tenantId);
    const next = usageEvent(tenantId);
    failures.set(poison.id, [new Error('refused 1'), new Error('refused 2'), new Error('never reached')]);

    await producer.publish(topic, [poison, next]);

    await waitFor('the next event to be applied', () => applied.includes(next.id));
    const letter = await waitFor('the dead letter', () =>
      deadLetters.messages.find((m) => m.message.value?.toString().includes(poison.id)),
    );
    expect(headerText(letter.message, DEAD_LETTER_HEADERS.error)).toBe(
      'handler failed 2 time(s): Error: refused 2',
    );
    expect(applied).not.toContain(poison.id);
    expect(await db.prisma.processedEvent.count({ where: { eventId: poison.id } })).toBe(0);
  });

  it('never counts an error isPoison clears: the event waits and is applied, nothing is dead-lettered', async () => {
    const event = usageEvent();
    failures.set(
      event.id,
      [1, 2, 3].map((n) => new DatabaseDownError(`database down ${n}`)),
    );

    await producer.publish(topic, event);

    await waitFor('the event to be applied after the outage', () => applied.includes(event.id), {
      timeoutMs: 30_000,
    });
    const marker = usageEvent(event.tenantId);
    await producer.publish(topic, marker);
    await waitFor('a later event, as a barrier', () => applied.includes(marker.id));
    expect(deadLetters.messages.filter((m) => m.message.value?.toString().includes(event.id))).toEqual([]);
    expect(applied.filter((id) => id === event.id)).toHaveLength(1);
  }, 40_000);
});
