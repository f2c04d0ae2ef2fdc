// Owns metering: one usage event on llm.usage.v1 per request id. A Redis marker (SET NX, per tenant
// and request id) keeps a retried request from being published twice; the event id is derived from
// the same pair, so a duplicate that slips through (marker expired, two gateways racing) is dropped by
// the consumers' dedupe. Publishing never delays the caller's stream and is batched; it goes through
// @hearth/events' spooled publisher, so events Kafka refuses wait in the gateway's Redis spool and a
// Kafka outage loses no charge.
import {
  EventSpool,
  SpooledEventPublisher,
  USAGE_TOPIC,
  type EventInputOf,
  type EventProducer,
} from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

import type { GatewayMetrics } from '../metrics/gateway.metrics';
import { buildUsageEvent, type UsageRecord } from './usage-event.builder';

type UsageEventInput = EventInputOf<typeof USAGE_TOPIC>;

/** The gateway's spool (one per service, shared by its replicas). */
export const USAGE_SPOOL_NAME = 'model-gateway';

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
  private readonly publisher: SpooledEventPublisher;

  constructor(private readonly options: UsageMeterOptions) {
    this.publisher = new SpooledEventPublisher({
      producer: options.producer,
      spool: new EventSpool({ redis: options.redis, name: USAGE_SPOOL_NAME }),
      logger: options.logger,
      drainIntervalMs: options.spoolDrainMs,
    });
  }

  start(): void {
    this.publisher.start();
  }

  /** Publishes what is buffered and waits for every publish in flight (graceful shutdown). */
  async stop(): Promise<void> {
    await this.publisher.stop();
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
      const outcome = await this.publisher.publish(USAGE_TOPIC, events);
      if (outcome === 'spooled') this.options.metrics.usagePublishFailures.inc(events.length);
    } catch (error) {
      // Neither Kafka nor the spool took them (spool full, or Redis down too): the caller is a stream
      // that has already ended, so the charge is surfaced here, in full, for reconciliation.
      this.options.metrics.usagePublishFailures.inc(events.length);
      this.options.logger.error(
        { err: error, usageEvents: events },
        'usage events not stored: neither Kafka nor the spool accepted them',
      );
    }
  }
}
