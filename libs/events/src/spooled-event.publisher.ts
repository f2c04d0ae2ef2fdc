// Owns the one durability path for events that belong to no database transaction: publish to Kafka
// at once, and when Kafka refuses, keep the wire records in the Redis spool that a background drain
// publishes once Kafka is back. While this process knows the spool holds records, new events join
// it instead of overtaking them. Nothing is dropped: when the spool is full or Redis is down too,
// publish() rejects with an error naming the spool, and the caller still holds its events.
import type { Logger } from '@hearth/telemetry';

import type { EventSpool } from './event-spool';
import { parseEvent, type EventInputOf, type EventTopic } from './event-topic.model';
import { toRecord, withActiveTraceId, type EventProducer } from './event.producer';

/** Where accepted events went: to Kafka now, or into the spool for the drain to send later. */
export type PublishOutcome = 'published' | 'spooled';

/** What a publisher without a database needs: resolves once the events are durable (Kafka or spool). */
export interface DurableEventPublisher {
  publish<T extends EventTopic>(topic: T, events: EventInputOf<T>[]): Promise<PublishOutcome>;
}

export interface SpooledEventPublisherOptions {
  producer: EventProducer;
  spool: EventSpool;
  logger: Logger;
  /** How often the spool is drained back to Kafka. */
  drainIntervalMs?: number;
}

export class SpooledEventPublisher implements DurableEventPublisher {
  private drainTimer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  /** Set when this process spooled records that no drain has published yet. */
  private backlog = false;

  constructor(private readonly options: SpooledEventPublisherOptions) {}

  start(): void {
    this.drainTimer ??= setInterval(() => void this.drain(), this.options.drainIntervalMs ?? 5_000);
    this.drainTimer.unref();
  }

  /** Stops the background drain and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    await this.draining;
  }

  /**
   * Validates every event first (an EventValidationError is never spooled), then publishes them to
   * Kafka or, failing that, appends them to the spool. While this process has a backlog the spool
   * comes first (new events queue behind old ones) and Kafka is the fallback. Rejects with the
   * spool's EventSpoolFullError or EventSpoolUnavailableError when neither accepted them.
   */
  async publish<T extends EventTopic>(topic: T, events: EventInputOf<T>[]): Promise<PublishOutcome> {
    const parsed = events.map((event) => parseEvent(topic, withActiveTraceId(event)));
    if (parsed.length === 0) return 'published';
    const { producer, spool, logger } = this.options;
    const toSpool = async (): Promise<PublishOutcome> => {
      await spool.append(parsed.map((event) => toRecord(topic.name, event)));
      this.backlog = true;
      return 'spooled';
    };
    if (this.backlog) {
      try {
        return await toSpool();
      } catch (spoolError) {
        // The spool is full or out of reach: Kafka directly beats refusing, at the cost of order.
        return await producer.publish(topic, events).then(
          () => 'published' as const,
          () => Promise.reject(spoolError),
        );
      }
    }
    try {
      await producer.publish(topic, events);
      return 'published';
    } catch (error) {
      logger.warn(
        { err: error, topic: topic.name, count: parsed.length, spool: spool.key },
        'events not published; spooled until Kafka takes them',
      );
      return toSpool();
    }
  }

  /** One drain pass (the background timer runs these); concurrent calls share the pass in progress. */
  drain(): Promise<void> {
    this.draining ??= this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    const { spool, producer, logger } = this.options;
    try {
      const { published, emptied } = await spool.drain(producer);
      if (published > 0) logger.info({ count: published, spool: spool.key }, 'spooled events published');
      if (emptied) this.backlog = false;
    } catch (error) {
      logger.debug({ err: error, spool: spool.key }, 'event spool not drained yet');
    }
  }
}
