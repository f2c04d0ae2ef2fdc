// Publishes audit events to llm.audit.v1 in the background through @hearth/events' spooled
// publisher: a check never waits for Kafka. Events queue in memory briefly and go out in batches to
// Kafka or, while Kafka is down, to the service's Redis spool, which is drained once it is back. A
// batch neither took stays queued and is retried with backoff. The queue is bounded and never drops:
// when it is full (Kafka and the spool both refusing for a long while) record() throws an
// AuditBacklogFullError, which the check surfaces as UNAVAILABLE: a decision is refused rather than
// made without its audit record. Shutdown flushes what is left under a deadline.
import { AUDIT_TOPIC, parseEvent, type AuditEventInput, type DurableEventPublisher } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import { AuditBacklogFullError } from './audit-backlog-full.error';
import type { AuditSink } from './audit.sink';

export interface SpooledAuditSinkOptions {
  publisher: DurableEventPublisher;
  logger: Logger;
  /** Audit events held in memory at most; record() refuses the next one past it. */
  maxQueued?: number;
  batchSize?: number;
  retryDelayMs?: number;
  shutdownDeadlineMs?: number;
}

export class SpooledAuditSink implements AuditSink {
  private readonly queue: AuditEventInput[] = [];
  private flushing?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private closed = false;
  private readonly maxQueued: number;
  private readonly batchSize: number;
  private readonly retryDelayMs: number;
  private readonly shutdownDeadlineMs: number;

  constructor(private readonly options: SpooledAuditSinkOptions) {
    this.maxQueued = options.maxQueued ?? 10_000;
    this.batchSize = options.batchSize ?? 200;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.shutdownDeadlineMs = options.shutdownDeadlineMs ?? 5_000;
  }

  /** Queues one event; throws an EventValidationError for a bad event, an AuditBacklogFullError when full. */
  record(event: AuditEventInput): void {
    // Validate now, so a bad event is reported by the check that made it, not lost in a batch.
    parseEvent(AUDIT_TOPIC, event);
    if (this.queue.length >= this.maxQueued) {
      throw new AuditBacklogFullError(this.maxQueued, this.retryDelayMs);
    }
    this.queue.push(event);
    if (!this.retryTimer) void this.flush();
  }

  /** Hands everything queued to the publisher; resolves when the queue is empty or a batch failed. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops retrying and flushes what is queued, within the shutdown deadline. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.shutdownDeadlineMs);
    });
    await Promise.race([this.flush(), deadline]).finally(() => clearTimeout(timer));
    if (this.queue.length > 0) {
      this.options.logger.error(
        { pending: this.queue.length, auditEvents: this.queue },
        'audit events neither published nor spooled before shutdown',
      );
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      try {
        await this.options.publisher.publish(AUDIT_TOPIC, batch);
        this.queue.splice(0, batch.length);
        this.failures = 0;
      } catch (error) {
        this.failures++;
        this.options.logger.error(
          { err: error, pending: this.queue.length, attempt: this.failures },
          'audit events neither published nor spooled; will retry',
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
