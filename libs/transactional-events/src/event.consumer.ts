// Owns consuming one topic: each message is validated against the topic's schema; a malformed one
// goes to the dead-letter topic with the reason in its headers (never dropped, never a crash); a
// valid one runs the handler inside a Postgres transaction that first records
// ProcessedEvent(consumerGroup, eventId), so a redelivered event (relay resend, rebalance, crash
// before the offset commit) has no second effect. The producer's trace continues in the handler.
// Messages are applied in batches (kafkajs eachBatch): up to batchSize events of a partition share
// one transaction, their offsets resolved after its commit; a batch that fails is rolled back and its
// events applied one at a time, so one event's failure is handled as if it had come alone. With a
// batchHandler, a batch's new events are applied in one call (one statement for all of them, say):
// a lone event under a span in its producer's trace, several under one span linked to each event's
// producer span; events applied alone (a failed batch, retries) go through handler.
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

import { context, ROOT_CONTEXT, SpanKind, trace, type Context, type Span } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, RetryOptions } from 'kafkajs';

export interface EventHandlerContext {
  /** The transaction the dedupe record is in: write the handler's effect through it. */
  tx: Prisma.TransactionClient;
  /** The consumer span, a child of the producer's span. */
  span: Span;
  /** The active context in the handler (carries `span`): pass it on to outbound calls. */
  traceContext: Context;
  message: { topic: string; partition: number; offset: string; headers: IHeaders };
  /** Runs `effect` once the transaction has committed (metrics, caches); never if it rolls back. */
  afterCommit(effect: () => void): void;
}

export type EventHandler<TEvent> = (event: TEvent, context: EventHandlerContext) => Promise<void>;

/** A batch handler's context: the batch's transaction and its commit hook. */
export type EventBatchContext = Pick<EventHandlerContext, 'tx' | 'span' | 'afterCommit'>;

/** Applies the new events of a batch (never empty, none seen before by the group) in one go. */
export type EventBatchHandler<TEvent> = (
  events: readonly TEvent[],
  context: EventBatchContext,
) => Promise<void>;

export interface EventConsumerOptions<T extends EventTopic> {
  kafka: Kafka;
  prisma: PrismaClient;
  groupId: string;
  topic: T;
  handler: EventHandler<EventOf<T>>;
  /**
   * Applies a batch's new events in one call instead of `handler` for each. Its effect must be the
   * same as `handler`'s on each event: a failed batch is applied again event by event through it.
   */
  batchHandler?: EventBatchHandler<EventOf<T>>;
  logger: Logger;
  /** Producer for dead letters; one is created on the same client when omitted. */
  deadLetterProducer?: EventProducer;
  /** A new group starts at the earliest offset (true) or only sees new messages (false, default). */
  fromBeginning?: boolean;
  /** Deadline of the handler's transaction. */
  transactionTimeoutMs?: number;
  /** Events of one partition applied in one transaction (default 100; 1: a transaction per event). */
  batchSize?: number;
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

/** A handler's context before its transaction: the span and message, without `tx` and the commit hook. */
type MessageContext = Omit<EventHandlerContext, 'tx' | 'afterCommit'>;

export class EventConsumer<T extends EventTopic> {
  private readonly consumer: Consumer;
  private readonly deadLetters: EventProducer;
  private readonly ownsDeadLetterProducer: boolean;
  private readonly connectTimeoutMs: number;
  private readonly transactionTimeoutMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: EventConsumerOptions<T>) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.transactionTimeoutMs = options.transactionTimeoutMs ?? 10_000;
    this.batchSize = Math.max(1, options.batchSize ?? 100);
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
      await this.consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.handleBatch(payload),
      });
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

  /**
   * A partition's batch, in chunks of batchSize: malformed messages are dead-lettered, the valid ones
   * applied in one transaction, then the chunk's offsets resolved and committed. A chunk whose
   * transaction fails for a reason that may be an event's is applied again message by message.
   */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    for (let from = 0; from < batch.messages.length; from += this.batchSize) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(from, from + this.batchSize);
      const valid: { message: KafkaMessage; event: EventOf<T> }[] = [];
      for (const message of chunk) {
        const decoded = this.decode(message);
        if (decoded.ok) valid.push({ message, event: decoded.event });
        else await this.rejectMalformed(batch.topic, batch.partition, message, decoded.reason);
      }
      let appliedTogether = valid.length === 0;
      let failed: HandlerFailure | undefined;
      if (!appliedTogether && this.batchSize > 1) {
        try {
          await this.applyTogether(batch.topic, batch.partition, valid);
          appliedTogether = true;
        } catch (error) {
          failed = error instanceof HandlerFailure ? error : undefined;
          const cause = failed ? failed.cause : error;
          // The database at fault: every event would fail alone too; kafkajs redelivers the chunk.
          if (this.options.isPoison && !this.options.isPoison(cause)) throw cause;
          this.options.logger.warn(
            { err: cause, topic: batch.topic, partition: batch.partition, events: valid.length },
            'event batch failed, applying its events one at a time',
          );
        }
      }
      if (!appliedTogether) {
        for (const { message, event } of valid) {
          // The event whose handler failed the batch has had its first try.
          const firstTry = failed?.eventId === event.id ? { error: failed.cause } : undefined;
          await this.applyAlone(batch.topic, batch.partition, message, event, firstTry);
          resolveOffset(message.offset);
        }
      }
      resolveOffset(chunk[chunk.length - 1]!.offset);
      await heartbeat();
      await commitOffsetsIfNecessary();
    }
  }

  private async rejectMalformed(
    topic: string,
    partition: number,
    message: KafkaMessage,
    reason: string,
  ): Promise<void> {
    await withSpan(
      `${topic} process`,
      async (span) => {
        span.setAttribute('hearth.event.dead_lettered', true);
        await this.deadLetter(topic, partition, message, reason);
      },
      this.spanOptions(topic, partition, message),
    );
    this.options.onOutcome?.({ kind: 'dead_lettered', topic, cause: 'invalid', reason });
  }

  /**
   * Valid events in one transaction: one dedupe insert names the new ones, then the batch handler
   * runs for all of them, or the handler for each.
   */
  private async applyTogether(
    topic: string,
    partition: number,
    valid: { message: KafkaMessage; event: EventOf<T> }[],
  ): Promise<void> {
    const effects: (() => void)[] = [];
    const outcomes: EventOutcome[] = [];
    await this.options.prisma.$transaction(
      async (tx) => {
        const ids = valid.map(({ event }) => event.id);
        // Inserting first takes the row locks on (group, id): a concurrent duplicate waits here for
        // this transaction and then finds the rows, instead of running the handler in parallel.
        const fresh = new Set(
          (
            await tx.$queryRaw<{ event_id: string }[]>`
              INSERT INTO processed_events (consumer_group, event_id)
              SELECT ${this.options.groupId}, id FROM unnest(${ids}::text[]) AS id
              ON CONFLICT DO NOTHING
              RETURNING event_id`
          ).map((row) => row.event_id),
        );
        const afterCommit = (effect: () => void) => effects.push(effect);
        if (this.options.batchHandler) {
          await this.applyAsOne(topic, partition, valid, fresh, tx, afterCommit, outcomes);
          return;
        }
        for (const { message, event } of valid) {
          const applied = fresh.delete(event.id);
          await withSpan(
            `${topic} process`,
            async (span) => {
              span.setAttribute('messaging.message.id', event.id);
              span.setAttribute('hearth.event.duplicate', !applied);
              if (!applied) return;
              await this.options
                .handler(event, {
                  tx,
                  span,
                  traceContext: context.active(),
                  message: messageOf(topic, partition, message),
                  afterCommit,
                })
                .catch((error: unknown) => Promise.reject(new HandlerFailure(event.id, error)));
            },
            this.spanOptions(topic, partition, message),
          );
          outcomes.push(
            applied
              ? { kind: 'applied', topic, eventId: event.id, attempts: 1 }
              : { kind: 'duplicate', topic, eventId: event.id },
          );
        }
      },
      { timeout: this.transactionTimeoutMs, maxWait: this.transactionTimeoutMs },
    );
    this.committed(effects, outcomes);
  }

  /**
   * The batch handler on the new events. One new event: under a span in its producer's trace, as
   * the per-event handler's. Several: under one span that starts a trace of its own, linked to each
   * event's producer span (a batch has no single parent). A failure names no event: each is then
   * applied alone, afresh.
   */
  private async applyAsOne(
    topic: string,
    partition: number,
    valid: { message: KafkaMessage; event: EventOf<T> }[],
    fresh: ReadonlySet<string>,
    tx: Prisma.TransactionClient,
    afterCommit: (effect: () => void) => void,
    outcomes: EventOutcome[],
  ): Promise<void> {
    // An event twice in one batch is new once: its second copy is a duplicate.
    const unseen = new Set(fresh);
    const applied: typeof valid = [];
    for (const item of valid) {
      const isNew = unseen.delete(item.event.id);
      if (isNew) applied.push(item);
      outcomes.push(
        isNew
          ? { kind: 'applied', topic, eventId: item.event.id, attempts: 1 }
          : { kind: 'duplicate', topic, eventId: item.event.id },
      );
    }
    if (applied.length === 0) return;
    const [only] = applied;
    const spanOptions =
      applied.length === 1 && only
        ? this.spanOptions(topic, partition, only.message)
        : {
            kind: SpanKind.CONSUMER,
            root: true,
            attributes: this.spanAttributes(topic, partition),
            links: applied.flatMap(({ message }) => {
              const producer = trace.getSpanContext(
                extractFromKafkaHeaders(message.headers ?? {}, ROOT_CONTEXT),
              );
              return producer ? [{ context: producer }] : [];
            }),
          };
    await withSpan(
      `${topic} process`,
      async (span) => {
        span.setAttribute('messaging.batch.message_count', applied.length);
        if (only && applied.length === 1) span.setAttribute('messaging.message.id', only.event.id);
        await this.options.batchHandler!(
          applied.map(({ event }) => event),
          { tx, span, afterCommit },
        ).catch((error: unknown) => Promise.reject(new HandlerFailure(undefined, error)));
      },
      spanOptions,
    );
  }

  /** One valid event in its own transaction, with maxAttempts and dead letters. Throwing makes kafkajs redeliver. */
  private async applyAlone(
    topic: string,
    partition: number,
    message: KafkaMessage,
    event: EventOf<T>,
    firstTry?: { error: unknown },
  ): Promise<void> {
    await withSpan(
      `${topic} process`,
      async (span) => {
        span.setAttribute('messaging.message.id', event.id);
        const attempt = await this.applyWithAttempts(
          event,
          { span, traceContext: context.active(), message: messageOf(topic, partition, message) },
          firstTry,
        );
        if (!attempt.ok) {
          span.setAttribute('hearth.event.dead_lettered', true);
          await this.deadLetter(topic, partition, message, attempt.reason);
          this.options.onOutcome?.({ kind: 'dead_lettered', topic, cause: 'failed', reason: attempt.reason });
          return;
        }
        span.setAttribute('hearth.event.duplicate', !attempt.applied);
        this.committed(
          [],
          [
            attempt.applied
              ? { kind: 'applied', topic, eventId: event.id, attempts: attempt.attempts }
              : { kind: 'duplicate', topic, eventId: event.id },
          ],
        );
      },
      this.spanOptions(topic, partition, message),
    );
  }

  private committed(effects: (() => void)[], outcomes: EventOutcome[]): void {
    for (const effect of effects) effect();
    for (const outcome of outcomes) {
      if (outcome.kind === 'duplicate')
        this.options.logger.debug(
          { eventId: outcome.eventId, topic: outcome.topic, groupId: this.options.groupId },
          'duplicate event skipped',
        );
      this.options.onOutcome?.(outcome);
    }
  }

  private spanOptions(topic: string, partition: number, message: KafkaMessage) {
    return {
      kind: SpanKind.CONSUMER,
      parent: extractFromKafkaHeaders(message.headers ?? {}, ROOT_CONTEXT),
      attributes: {
        ...this.spanAttributes(topic, partition),
        'messaging.kafka.offset': Number(message.offset),
      },
    };
  }

  private spanAttributes(topic: string, partition: number) {
    return {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': this.options.groupId,
      'messaging.destination.partition.id': String(partition),
    };
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
   * applyOnce, tried up to maxAttempts times with backoff (`firstTry`: the first failed already, in a
   * batch). Without maxAttempts the first failure is thrown (kafkajs redelivers); with it, the last
   * failure becomes the dead-letter reason.
   */
  private async applyWithAttempts(
    event: EventOf<T>,
    messageContext: MessageContext,
    firstTry?: { error: unknown },
  ): Promise<{ ok: true; applied: boolean; attempts: number } | { ok: false; reason: string }> {
    const maxAttempts = this.options.maxAttempts;
    if (maxAttempts === undefined) {
      if (firstTry) throw firstTry.error;
      return { ok: true, applied: await this.applyOnce(event, messageContext), attempts: 1 };
    }
    let delayMs = this.options.attemptBackoffMs ?? 100;
    let failure = firstTry;
    for (let attempt = 1; ; attempt++) {
      if (!failure) {
        try {
          return { ok: true, applied: await this.applyOnce(event, messageContext), attempts: attempt };
        } catch (error) {
          failure = { error };
        }
      }
      const { error } = failure;
      if (this.options.isPoison && !this.options.isPoison(error)) throw error;
      const reason = `handler failed ${attempt} time(s): ${errorText(error)}`;
      if (attempt >= maxAttempts) return { ok: false, reason };
      this.options.logger.warn(
        { eventId: event.id, topic: this.options.topic.name, attempt, err: error },
        'event handler failed, retrying',
      );
      await sleep(delayMs);
      delayMs *= 2;
      failure = undefined;
    }
  }

  /** Records the event as processed and runs the handler in one transaction; false if it was already processed. */
  private async applyOnce(event: EventOf<T>, messageContext: MessageContext): Promise<boolean> {
    const effects: (() => void)[] = [];
    const applied = await this.options.prisma.$transaction(
      async (tx) => {
        const { count } = await tx.processedEvent.createMany({
          data: [{ consumerGroup: this.options.groupId, eventId: event.id }],
          skipDuplicates: true,
        });
        if (count === 0) return false;
        await this.options.handler(event, {
          ...messageContext,
          tx,
          afterCommit: (effect) => effects.push(effect),
        });
        return true;
      },
      { timeout: this.transactionTimeoutMs, maxWait: this.transactionTimeoutMs },
    );
    for (const effect of effects) effect();
    return applied;
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

/** A handler's error inside a batch, with the event it failed on (none for a batch handler's). */
class HandlerFailure extends Error {
  constructor(
    readonly eventId: string | undefined,
    override readonly cause: unknown,
  ) {
    super(eventId ? `handler failed on event ${eventId}` : 'batch handler failed');
  }
}

function messageOf(topic: string, partition: number, message: KafkaMessage): EventHandlerContext['message'] {
  return { topic, partition, offset: message.offset, headers: message.headers ?? {} };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // Kafka headers are not a log: keep the reason short enough to read and to store.
  return text.length > 1_000 ? `${text.slice(0, 1_000)}…` : text;
}
