// Owns the Redis spool: wire records Kafka refused, kept in one Redis list per service in the order
// they were refused, bounded, and drained back to Kafka by whichever replica holds the drain lock.
// Appends are all-or-nothing against the bound (a Lua script), so a batch is never half kept; a
// batch is trimmed only after Kafka acknowledged it and only while the drainer still holds the lock,
// so two replicas can never trim each other's unpublished records.
import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';

import { EventSpoolFullError, EventSpoolUnavailableError } from './event-spool.errors';
import type { EventProducer, OutboundRecord } from './event.producer';

export interface EventSpoolOptions {
  redis: Redis;
  /** Names the spool, e.g. the service: one list per name, shared by its replicas. */
  name: string;
  /** Records the spool may hold; an append past it is refused with an EventSpoolFullError. */
  maxRecords?: number;
  /** Records per Kafka request while draining. */
  drainBatch?: number;
  /** How long the drain lock lives without renewal; longer than one publish's deadline. */
  lockMs?: number;
}

/** One drain pass: how many records went to Kafka, and whether the spool was found empty at the end. */
export interface DrainResult {
  published: number;
  /** False when another replica holds the lock or the lock was lost mid-drain. */
  emptied: boolean;
}

// Returns the new length, or -1 - current length when the records would not fit.
const APPEND_BOUNDED = `
local length = redis.call('LLEN', KEYS[1])
if length + #ARGV - 1 > tonumber(ARGV[1]) then return -1 - length end
return redis.call('RPUSH', KEYS[1], unpack(ARGV, 2))`;

// Trims the published head only for the lock's owner, and renews the lock for the next batch.
const TRIM_IF_OWNER = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
return 1`;

const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class EventSpool {
  readonly key: string;
  private readonly lockKey: string;
  readonly maxRecords: number;
  private readonly drainBatch: number;
  private readonly lockMs: number;

  constructor(private readonly options: EventSpoolOptions) {
    // One hash tag for the list and its lock: the scripts touch both, so they share a cluster slot.
    this.key = `events:spool:{${options.name}}`;
    this.lockKey = `${this.key}:lock`;
    this.maxRecords = options.maxRecords ?? 200_000;
    this.drainBatch = options.drainBatch ?? 100;
    this.lockMs = options.lockMs ?? 60_000;
  }

  /** Keeps the records, all or none: throws EventSpoolFullError past the bound, EventSpoolUnavailableError when Redis fails. */
  async append(records: OutboundRecord[]): Promise<void> {
    if (records.length === 0) return;
    let reply: number;
    try {
      reply = (await this.options.redis.eval(
        APPEND_BOUNDED,
        1,
        this.key,
        this.maxRecords,
        ...records.map((record) => JSON.stringify(record)),
      )) as number;
    } catch (error) {
      throw new EventSpoolUnavailableError(this.key, records.length, error);
    }
    if (reply < 0) throw new EventSpoolFullError(this.key, this.maxRecords, records.length);
  }

  length(): Promise<number> {
    return this.options.redis.llen(this.key);
  }

  /**
   * Publishes spooled records oldest first, one batch per Kafka request, until the spool is empty.
   * Stops at the first failed publish (it throws) and keeps the rest; a batch published but not yet
   * trimmed when the process dies is published again, which the consumers' dedupe by event id absorbs.
   */
  async drain(producer: EventProducer): Promise<DrainResult> {
    const { redis } = this.options;
    const owner = randomUUID();
    if ((await redis.set(this.lockKey, owner, 'PX', this.lockMs, 'NX')) === null) {
      return { published: 0, emptied: false };
    }
    let published = 0;
    try {
      for (;;) {
        const batch = await redis.lrange(this.key, 0, this.drainBatch - 1);
        if (batch.length === 0) return { published, emptied: true };
        await producer.publishRecords(batch.map((raw) => JSON.parse(raw) as OutboundRecord));
        const trimmed = await redis.eval(
          TRIM_IF_OWNER,
          2,
          this.key,
          this.lockKey,
          owner,
          batch.length,
          this.lockMs,
        );
        if (trimmed !== 1) return { published, emptied: false };
        published += batch.length;
      }
    } finally {
      await redis.eval(RELEASE_IF_OWNER, 1, this.lockKey, owner);
    }
  }
}
