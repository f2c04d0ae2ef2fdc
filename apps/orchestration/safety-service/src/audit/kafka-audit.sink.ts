// Publishes audit events to llm.audit.v1 through libs/events' EventProducer, in the background: a
// check never waits for Kafka. Events queue in memory (bounded) and go out in batches; a failed
// batch is retried with backoff, and shutdown flushes what is left under a deadline. This service
// has no database, so there is no outbox; when the queue overflows during a long Kafka outage the
// oldest events are dropped with an error log counting them (decisions, not text, are lost).
import { AUDIT_TOPIC, parseEvent, type AuditEventInput, type EventProducer } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import type { AuditSink } from './audit.sink';

export interface KafkaAuditSinkOptions {
  producer: EventProducer;
  logger: Logger;
  maxQueued?: number;
  batchSize?: number;
  retryDelayMs?: number;
  shutdownDeadlineMs?: number;
}

export class KafkaAuditSink implements AuditSink {
  private readonly queue: AuditEventInput[] = [];
  private flushing?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;
  private readonly maxQueued: number;
  private readonly batchSize: number;
  private readonly retryDelayMs: number;
  private readonly shutdownDeadlineMs: number;

  constructor(private readonly options: KafkaAuditSinkOptions) {
    this.maxQueued = options.maxQueued ?? 10_000;
    this.batchSize = options.batchSize ?? 200;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.shutdownDeadlineMs = options.shutdownDeadlineMs ?? 5_000;
  }

  record(event: AuditEventInput): void {
    // Validate now, so a bad event is reported by the check that made it, not lost in a batch.
    parseEvent(AUDIT_TOPIC, event);
    this.queue.push(event);
    if (this.queue.length > this.maxQueued) {
      const dropped = this.queue.splice(0, this.queue.length - this.maxQueued).length;
      this.options.logger.error(
        { dropped, topic: AUDIT_TOPIC.name },
        'audit queue full; oldest events dropped',
      );
    }
    if (!this.retryTimer) void this.flush();
  }

  /** Publishes everything queued; resolves when the queue is empty or a publish failed. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops accepting retries and flushes what is queued, within the shutdown deadline. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.shutdownDeadlineMs).unref());
    await Promise.race([this.flush(), deadline]);
    if (this.queue.length > 0) {
      this.options.logger.error({ pending: this.queue.length }, 'audit events not published before shutdown');
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      try {
        await this.options.producer.publish(AUDIT_TOPIC, batch);
        this.queue.splice(0, batch.length);
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.options.logger.error(
          { err: error, pending: this.queue.length, attempt: this.failures },
          'publishing audit events failed; will retry',
        );
        this.scheduleRetry();
        return;
      }
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = Math.min(this.retryDelayMs * 2 ** Math.min(this.failures - 1, 5), 30_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, delay);
    this.retryTimer.unref();
  }
}
