// Owns metering: one usage event on llm.usage.v1 per request id. A Redis marker (SET NX, per tenant
// and request id) keeps a retried request from being published twice; the event id is derived from
// the same pair, so a duplicate that slips through (marker expired, two gateways racing) is dropped by
// the consumers' dedupe. Publishing never delays the caller's stream and is batched; events Kafka
// refuses go to a Redis spool that is drained in the background, so a Kafka outage loses no charge.
import { randomUUID } from 'node:crypto';

import { USAGE_TOPIC, type EventInputOf, type EventProducer } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

import type { GatewayMetrics } from '../metrics/gateway.metrics';
import { buildUsageEvent, type UsageRecord } from './usage-event.builder';

type UsageEventInput = EventInputOf<typeof USAGE_TOPIC>;

export const USAGE_SPOOL_KEY = 'gw:usage:spool';
const SPOOL_BATCH = 100;
const SPOOL_LOCK_MS = 60_000;

export interface UsageMeterOptions {
  redis: Redis;
  producer: EventProducer;
  logger: Logger;
  metrics: GatewayMetrics;
  dedupeTtlSeconds: number;
  spoolDrainMs?: number;
  /** How long an event may wait for others to share its Kafka request. */
  lingerMs?: number;
  maxBatch?: number;
}

interface Pending {
  event: UsageEventInput;
  done: () => void;
}

export class UsageMeterService {
  private buffer: Pending[] = [];
  private lingerTimer?: NodeJS.Timeout;
  private readonly flushes = new Set<Promise<void>>();
  private drainTimer?: NodeJS.Timeout;
  private draining = false;

  constructor(private readonly options: UsageMeterOptions) {}

  start(): void {
    this.drainTimer = setInterval(() => void this.drainSpool(), this.options.spoolDrainMs ?? 5_000);
    this.drainTimer.unref();
  }

  /** Publishes what is buffered and waits for every publish in flight (graceful shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.drainTimer);
    this.flush();
    await Promise.allSettled([...this.flushes]);
  }

  /**
   * Meters one request in the background. Events are batched for a few milliseconds: one Redis
   * round trip for the dedupe markers and one Kafka request per batch instead of per request, which
   * is most of the gateway's own cost under load. Resolves once the event's batch was handled.
   */
  record(record: UsageRecord): Promise<void> {
    return new Promise((resolve) => {
      this.buffer.push({ event: buildUsageEvent(record), done: resolve });
      if (this.buffer.length >= (this.options.maxBatch ?? 200)) this.flush();
      else if (!this.lingerTimer)
        this.lingerTimer = setTimeout(() => this.flush(), this.options.lingerMs ?? 20);
    });
  }

  private flush(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const task = this.publishBatch(batch.map((p) => p.event)).finally(() => {
      this.flushes.delete(task);
      for (const pending of batch) pending.done();
    });
    this.flushes.add(task);
  }

  private async publishBatch(events: UsageEventInput[]): Promise<void> {
    const fresh = await this.withoutMetered(events);
    if (fresh.length > 0) await this.publishOrSpool(fresh);
  }

  /** Sets each request's dedupe marker (SET NX) and keeps the events whose marker was not set before. */
  private async withoutMetered(events: UsageEventInput[]): Promise<UsageEventInput[]> {
    const { redis, logger, dedupeTtlSeconds } = this.options;
    const pipeline = redis.pipeline();
    for (const event of events)
      pipeline.set(
        `gw:usage:{${event.tenantId}}:${event.payload.requestId}`,
        event.id,
        'EX',
        dedupeTtlSeconds,
        'NX',
      );
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      replies = null;
      logger.warn({ err: error }, 'usage dedupe markers unavailable');
    }
    if (!replies) return events; // without markers the deterministic event ids still let consumers drop duplicates
    return events.filter((event, i) => {
      const [error, reply] = replies[i] ?? [null, 'OK'];
      if (!error && reply === null) {
        logger.debug(
          { requestId: event.payload.requestId, eventId: event.id },
          'request already metered; no second charge',
        );
        return false;
      }
      return true;
    });
  }

  private async publishOrSpool(events: UsageEventInput[]): Promise<void> {
    try {
      await this.options.producer.publish(USAGE_TOPIC, events);
    } catch (error) {
      this.options.metrics.usagePublishFailures.inc(events.length);
      this.options.logger.warn(
        { err: error, count: events.length },
        'usage events not published; spooled for retry',
      );
      try {
        await this.options.redis.rpush(USAGE_SPOOL_KEY, ...events.map((event) => JSON.stringify(event)));
      } catch (spoolError) {
        // Both stores down: the events are in this log line and nowhere else.
        this.options.logger.error(
          { err: spoolError, usageEvents: events },
          'usage events lost: neither Kafka nor Redis accepted them',
        );
      }
    }
  }

  /**
   * Republishes spooled events, oldest first; stops at the first failure and keeps the rest. A lock
   * makes one gateway drain at a time (two would trim each other's unpublished events); a crash while
   * holding it only delays the drain until the lock expires, and a batch published twice is absorbed
   * by the consumers' dedupe.
   */
  async drainSpool(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const { redis, producer, logger } = this.options;
    const lockKey = `${USAGE_SPOOL_KEY}:lock`;
    const owner = randomUUID();
    try {
      if ((await redis.set(lockKey, owner, 'PX', SPOOL_LOCK_MS, 'NX')) === null) return;
      try {
        for (;;) {
          const batch = await redis.lrange(USAGE_SPOOL_KEY, 0, SPOOL_BATCH - 1);
          if (batch.length === 0) return;
          const events = batch.map((raw) => JSON.parse(raw) as UsageEventInput);
          await producer.publish(USAGE_TOPIC, events);
          await redis.ltrim(USAGE_SPOOL_KEY, batch.length, -1);
          logger.info({ count: batch.length }, 'spooled usage events published');
        }
      } finally {
        // Only our own lock: it may have expired and been taken by another gateway meanwhile.
        if ((await redis.get(lockKey)) === owner) await redis.del(lockKey);
      }
    } catch (error) {
      logger.debug({ err: error }, 'usage spool not drained yet');
    } finally {
      this.draining = false;
    }
  }
}
