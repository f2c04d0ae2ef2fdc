// Owns consuming one topic: each message is validated against the topic's schema; a malformed one
// goes to the dead-letter topic with the reason in its headers (never dropped, never a crash); a
// valid one runs the handler inside a Postgres transaction that first records
// ProcessedEvent(consumerGroup, eventId), so a redelivered event (relay resend, rebalance, crash
// before the offset commit) has no second effect. The producer's trace continues in the handler.
// A handler that keeps failing either makes kafkajs redeliver (the default: the partition waits) or,
// with maxAttempts, dead-letters the event after that many tries so one poison event cannot block
// the events behind it.
import { setTimeout as sleep } from 'node:timers/promises';

import type { Prisma, PrismaClient } from '@hearth/db';
import {
  DEAD_LETTER_HEADERS,
  EventProducer,
  EventValidationError,
  parseEvent,
  type EventOf,
  type EventTopic,
} from '@hearth/events';
import { extractFromKafkaHeaders, withDeadline, withSpan, type Logger } from '@hearth/telemetry';

import { context, ROOT_CONTEXT, SpanKind, type Context, type Span } from '@opentelemetry/api';
import type { Consumer, EachMessagePayload, IHeaders, Kafka, KafkaMessage, RetryOptions } from 'kafkajs';

export interface EventHandlerContext {
  /** The transaction the dedupe record is in: write the handler's effect through it. */
  tx: Prisma.TransactionClient;
  /** The consumer span, a child of the producer's span. */
  span: Span;
  /** The active context in the handler (carries `span`): pass it on to outbound calls. */
  traceContext: Context;
  message: { topic: string; partition: number; offset: string; headers: IHeaders };
}

export type EventHandler<TEvent> = (event: TEvent, context: EventHandlerContext) => Promise<void>;

export interface EventConsumerOptions<T extends EventTopic> {
  kafka: Kafka;
  prisma: PrismaClient;
  groupId: string;
  topic: T;
  handler: EventHandler<EventOf<T>>;
  logger: Logger;
  /** Producer for dead letters; one is created on the same client when omitted. */
  deadLetterProducer?: EventProducer;
  /** A new group starts at the earliest offset (true) or only sees new messages (false, default). */
  fromBeginning?: boolean;
  /** Deadline of the handler's transaction. */
  transactionTimeoutMs?: number;
  /** Deadline for connect, subscribe, start and stop. */
  connectTimeoutMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  retry?: RetryOptions;
  /**
   * Handler attempts (each in its own transaction) before a valid event is dead-lettered with the
   * last error as its reason. Unset: a failed handler throws and kafkajs redelivers the message.
   */
  maxAttempts?: number;
  /** Pause before the second attempt, doubled before each further one. */
  attemptBackoffMs?: number;
  /**
   * With maxAttempts: whether a handler error can be the event's fault (true, the default: it counts
   * as an attempt). An error that cannot (the database unreachable, a timed-out transaction) is
   * thrown instead, so kafkajs redelivers and the partition waits, rather than dead-lettering valid
   * events during an outage.
   */
  isPoison?: (error: unknown) => boolean;
  /** Called once per message with what became of it (metrics). */
  onOutcome?: (outcome: EventOutcome) => void;
  /** Called when kafkajs gives up on the consumer (restart false: it stays stopped). */
  onCrash?: (error: Error, restart: boolean) => void;
}

export type EventOutcome =
  | { kind: 'applied'; topic: string; eventId: string; attempts: number }
  | { kind: 'duplicate'; topic: string; eventId: string }
  | { kind: 'dead_lettered'; topic: string; cause: 'invalid' | 'failed'; reason: string };

type Decoded<TEvent> = { ok: true; event: TEvent } | { ok: false; reason: string };

export class EventConsumer<T extends EventTopic> {
  private readonly consumer: Consumer;
  private readonly deadLetters: EventProducer;
  private readonly ownsDeadLetterProducer: boolean;
  private readonly connectTimeoutMs: number;
  private readonly transactionTimeoutMs: number;

  constructor(private readonly options: EventConsumerOptions<T>) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 10_000;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: true,
      retry: options.retry ?? { initialRetryTime: 200, maxRetryTime: 5_000, retries: 5 },
    });
    if (options.onCrash) {
      const onCrash = options.onCrash;
      this.consumer.on(this.consumer.events.CRASH, ({ payload }) => onCrash(payload.error, payload.restart));
    }
    this.ownsDeadLetterProducer = !options.deadLetterProducer;
    this.deadLetters = options.deadLetterProducer ?? new EventProducer({ kafka: options.kafka });
  }

  async start(): Promise<void> {
    const { topic, fromBeginning = false } = this.options;
    await this.deadLetters.connect();
    await withDeadline(this.connectTimeoutMs, `Kafka consumer ${this.options.groupId} start`, async () => {
      await this.createTopicIfMissing();
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: topic.name, fromBeginning });
      await this.consumer.run({ eachMessage: (payload) => this.handleMessage(payload) });
    });
  }

  /**
   * Creates the topic and waits for its leaders. Subscribing to a topic the broker is still
   * auto-creating answers UNKNOWN_TOPIC_OR_PARTITION, which kafkajs does not retry at start: on a
   * fresh cluster the service would exit. Creating an existing topic is a no-op.
   */
  private async createTopicIfMissing(): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: this.options.topic.name }] });
    } finally {
      await admin.disconnect();
    }
  }

  /** The kafkajs consumer's group id and topic, for lag probes. */
  get subscription(): { groupId: string; topic: string } {
    return { groupId: this.options.groupId, topic: this.options.topic.name };
  }

  async stop(): Promise<void> {
    await withDeadline(this.connectTimeoutMs, `Kafka consumer ${this.options.groupId} stop`, () =>
      this.consumer.disconnect(),
    );
    if (this.ownsDeadLetterProducer) await this.deadLetters.disconnect();
  }

  /** One message: dead-letter it if malformed, else apply it at most once. Throwing makes kafkajs redeliver. */
  private async handleMessage({ topic, partition, message }: EachMessagePayload): Promise<void> {
    const headers = message.headers ?? {};
    const producerContext = extractFromKafkaHeaders(headers, ROOT_CONTEXT);
    await withSpan(
      `${topic} process`,
      async (span) => {
        const decoded = this.decode(message);
        if (!decoded.ok) {
          span.setAttribute('hearth.event.dead_lettered', true);
          await this.deadLetter(topic, partition, message, decoded.reason);
          this.options.onOutcome?.({
            kind: 'dead_lettered',
            topic,
            cause: 'invalid',
            reason: decoded.reason,
          });
          return;
        }
        const eventId = decoded.event.id;
        span.setAttribute('messaging.message.id', eventId);
        const handlerContext = {
          span,
          traceContext: context.active(),
          message: { topic, partition, offset: message.offset, headers },
        };
        const attempt = await this.applyWithAttempts(decoded.event, handlerContext);
        if (!attempt.ok) {
          span.setAttribute('hearth.event.dead_lettered', true);
          await this.deadLetter(topic, partition, message, attempt.reason);
          this.options.onOutcome?.({ kind: 'dead_lettered', topic, cause: 'failed', reason: attempt.reason });
          return;
        }
        span.setAttribute('hearth.event.duplicate', !attempt.applied);
        if (!attempt.applied) {
          this.options.logger.debug(
            { eventId, topic, groupId: this.options.groupId },
            'duplicate event skipped',
          );
          this.options.onOutcome?.({ kind: 'duplicate', topic, eventId });
        } else {
          this.options.onOutcome?.({ kind: 'applied', topic, eventId, attempts: attempt.attempts });
        }
      },
      {
        kind: SpanKind.CONSUMER,
        parent: producerContext,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.consumer.group.name': this.options.groupId,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(message.offset),
        },
      },
    );
  }

  private decode(message: KafkaMessage): Decoded<EventOf<T>> {
    if (!message.value) return { ok: false, reason: 'message has no value' };
    let json: unknown;
    try {
      json = JSON.parse(message.value.toString('utf8'));
    } catch (error) {
      return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
    }
    try {
      return { ok: true, event: parseEvent(this.options.topic, json) };
    } catch (error) {
      if (error instanceof EventValidationError) return { ok: false, reason: error.message };
      throw error;
    }
  }

  /**
   * applyOnce, tried up to maxAttempts times with backoff. Without maxAttempts the first failure is
   * thrown (kafkajs redelivers); with it, the last failure becomes the dead-letter reason.
   */
  private async applyWithAttempts(
    event: EventOf<T>,
    handlerContext: Omit<EventHandlerContext, 'tx'>,
  ): Promise<{ ok: true; applied: boolean; attempts: number } | { ok: false; reason: string }> {
    const maxAttempts = this.options.maxAttempts;
    if (maxAttempts === undefined) {
      return { ok: true, applied: await this.applyOnce(event, handlerContext), attempts: 1 };
    }
    let delayMs = this.options.attemptBackoffMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, applied: await this.applyOnce(event, handlerContext), attempts: attempt };
      } catch (error) {
        if (this.options.isPoison && !this.options.isPoison(error)) throw error;
        const reason = `handler failed ${attempt} time(s): ${errorText(error)}`;
        if (attempt >= maxAttempts) return { ok: false, reason };
        this.options.logger.warn(
          { eventId: event.id, topic: this.options.topic.name, attempt, err: error },
          'event handler failed, retrying',
        );
        await sleep(delayMs);
        delayMs *= 2;
      }
    }
  }

  /** Records the event as processed and runs the handler in one transaction; false if it was already processed. */
  private async applyOnce(
    event: EventOf<T>,
    handlerContext: Omit<EventHandlerContext, 'tx'>,
  ): Promise<boolean> {
    return this.options.prisma.$transaction(
      async (tx) => {
        // Inserting first takes the row lock on (group, id): a concurrent duplicate waits here for
        // this transaction and then finds the row, instead of running the handler in parallel.
        const { count } = await tx.processedEvent.createMany({
          data: [{ consumerGroup: this.options.groupId, eventId: event.id }],
          skipDuplicates: true,
        });
        if (count === 0) return false;
        await this.options.handler(event, { ...handlerContext, tx });
        return true;
      },
      { timeout: this.transactionTimeoutMs, maxWait: this.transactionTimeoutMs },
    );
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: string,
  ): Promise<void> {
    this.options.logger.warn(
      { topic, partition, offset: message.offset, deadLetterTopic: this.options.topic.deadLetter, reason },
      'event dead-lettered',
    );
    // Throws if the dead-letter topic is unreachable: kafkajs then redelivers, so nothing is lost.
    await this.deadLetters.publishRecords([
      {
        topic: this.options.topic.deadLetter,
        key: message.key,
        value: message.value ?? '',
        headers: {
          ...(message.headers ?? {}),
          [DEAD_LETTER_HEADERS.error]: reason,
          [DEAD_LETTER_HEADERS.sourceTopic]: topic,
          [DEAD_LETTER_HEADERS.sourcePartition]: String(partition),
          [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
          [DEAD_LETTER_HEADERS.consumerGroup]: this.options.groupId,
          [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
        },
      },
    ]);
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // Kafka headers are not a log: keep the reason short enough to read and to store.
  return text.length > 1_000 ? `${text.slice(0, 1_000)}…` : text;
}
