// EventConsumer with a batch handler, against real Kafka and PostgreSQL: a batch's new events reach
// it in one call (an event twice in the batch once, the copy counted as a duplicate), under one
// consumer span linked to each event's producer span, and a lone event under a span in its
// producer's trace; a batch the handler fails is applied again event by event through the per-event
// handler, so the poison is dead-lettered and the rest applied.
import {
  createKafkaClient,
  DEAD_LETTER_HEADERS,
  defineTopic,
  EventProducer,
  usageEventSchema,
} from '@hearth/events';
import { createLogger, startTelemetry, withSpan, type TelemetryShutdown } from '@hearth/telemetry';
import { createTestDatabase, waitFor, type TestDatabase } from '@hearth/testing';

import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
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

describe(`${EventConsumer.name} with a batch handler`, () => {
  const logger = createLogger({ service: 'events-batch-spec', level: 'silent' });
  const suffix = uniqueSuffix();
  const topic = defineTopic(`llm.usage.v1.batch-${suffix}`, usageEventSchema);
  const spans = new InMemorySpanExporter();
  /** Event ids of each batch handler call, in order. */
  const batches: string[][] = [];
  /** Event ids the per-event handler applied. */
  const alone: string[] = [];
  const outcomes: EventOutcome[] = [];
  /** Events whose presence fails a batch, and which fail alone too. */
  const poison = new Set<string>();

  let shutdownTelemetry: TelemetryShutdown;
  let kafka: Kafka;
  let db: TestDatabase;
  let producer: EventProducer;
  let sut: EventConsumer<typeof topic>;
  let deadLetters: { messages: CollectedMessage[]; stop: () => Promise<void> };

  beforeAll(async () => {
    shutdownTelemetry = startTelemetry({
      serviceName: 'events-batch-spec',
      spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    kafka = createKafkaClient({ clientId: `events-batch-${suffix}`, brokers: kafkaBrokersFromEnv(), logger });
    db = await createTestDatabase();
    // One partition: every event of a publish call lands in one fetch, so in one batch.
    await createTopics(kafka, [topic.name, topic.deadLetter], 1);
    producer = new EventProducer({ kafka });
    await producer.connect();
    deadLetters = await collectMessages(kafka, topic.deadLetter);
    sut = new EventConsumer({
      kafka,
      prisma: db.prisma,
      groupId: `batch-${suffix}`,
      topic,
      logger,
      fromBeginning: true,
      maxAttempts: 1,
      onOutcome: (outcome) => outcomes.push(outcome),
      handler: async (event) => {
        if (poison.has(event.id)) throw new Error(`refused ${event.id}`);
        alone.push(event.id);
      },
      batchHandler: async (events) => {
        if (events.some((event) => poison.has(event.id))) throw new Error('a poison event in the batch');
        batches.push(events.map((event) => event.id));
      },
    });
    await sut.start();
  }, 60_000);

  afterAll(async () => {
    await sut?.stop();
    await deadLetters?.stop();
    await producer?.disconnect();
    await db?.drop();
    await shutdownTelemetry?.();
  }, 30_000);

  const outcomeOf = (eventId: string) =>
    outcomes.filter(
      (o): o is Exclude<EventOutcome, { kind: 'dead_lettered' }> => 'eventId' in o && o.eventId === eventId,
    );

  it('applies a batch in one call, each new event once, under a span linked to every producer span', async () => {
    const events = Array.from({ length: 20 }, () => usageEvent());
    const copy = events[3]!;

    const { traceId } = await withSpan('turns', async (span) => {
      await producer.publish(topic, [...events, copy]);
      return { traceId: span.spanContext().traceId };
    });

    await waitFor('every event applied', () => events.every((e) => outcomeOf(e.id).length > 0));
    await waitFor('the copy counted', () => outcomeOf(copy.id).length === 2);
    const handled = batches.flat();
    expect([...handled].sort()).toEqual(events.map((e) => e.id).sort());
    expect(batches.length).toBeLessThan(events.length);
    expect(alone).toEqual([]);
    expect(outcomeOf(copy.id).map((o) => o.kind)).toEqual(['applied', 'duplicate']);
    expect(await db.prisma.processedEvent.count({ where: { eventId: { in: handled } } })).toBe(events.length);

    const batchSpans = await waitFor('the batch spans', () => {
      const found = spans
        .getFinishedSpans()
        .filter(
          (s) => s.name === `${topic.name} process` && s.links.some((l) => l.context.traceId === traceId),
        );
      const linked = found.reduce((sum, s) => sum + s.links.length, 0);
      return linked === events.length ? found : undefined;
    });
    for (const span of batchSpans) {
      expect(span.attributes['messaging.batch.message_count']).toBe(span.links.length);
      expect(span.links.every((link) => link.context.traceId === traceId)).toBe(true);
      // A batch has no single parent: its span starts a trace of its own.
      expect(span.parentSpanContext).toBeUndefined();
    }
  });

  it("applies a lone event under a span in its producer's trace", async () => {
    const event = usageEvent();

    const { traceId } = await withSpan('turn', async (span) => {
      await producer.publish(topic, event);
      return { traceId: span.spanContext().traceId };
    });

    await waitFor('the event applied', () => batches.some((batch) => batch.includes(event.id)));
    const processSpan = await waitFor('the consumer span', () =>
      spans
        .getFinishedSpans()
        .find((s) => s.name === `${topic.name} process` && s.spanContext().traceId === traceId),
    );
    expect(processSpan.attributes['messaging.message.id']).toBe(event.id);
    expect(processSpan.parentSpanContext?.traceId).toBe(traceId);
  });

  it('applies a failed batch event by event: the poison is dead-lettered, the others applied once', async () => {
    const events = Array.from({ length: 5 }, () => usageEvent());
    const bad = events[2]!;
    poison.add(bad.id);

    await producer.publish(topic, events);

    const good = events.filter((e) => e !== bad).map((e) => e.id);
    await waitFor('the good events applied', () => good.every((id) => alone.includes(id)));
    const letter = await waitFor('the dead letter', () =>
      deadLetters.messages.find((m) => m.message.value?.toString().includes(bad.id)),
    );
    expect(headerText(letter.message, DEAD_LETTER_HEADERS.error)).toBe(
      `handler failed 1 time(s): Error: refused ${bad.id}`,
    );
    expect(batches.flat().filter((id) => events.some((e) => e.id === id))).toEqual([]);
    expect(alone.filter((id) => good.includes(id)).sort()).toEqual([...good].sort());
    expect(await db.prisma.processedEvent.count({ where: { eventId: bad.id } })).toBe(0);
  });
});
