// Medium spec: the Redis spool against the real Redis and the real broker. Appends are all or nothing
// against the bound; a drain publishes oldest first and empties the spool; a drainer that lost its
// lock to another replica trims nothing, so no record is trimmed unpublished.
import { randomUUID } from 'node:crypto';

import { createRedisClient } from '@hearth/redis';
import { createLogger } from '@hearth/telemetry';
import { infraEnv } from '@hearth/testing';

import type { Redis } from 'ioredis';

import { EventSpool } from '../src/event-spool';
import { EventSpoolFullError } from '../src/event-spool.errors';
import { EventProducer, type OutboundRecord } from '../src/event.producer';
import { createKafkaClient } from '../src/kafka-client.factory';

jest.setTimeout(60_000);

/** Nothing consumes it: the spec only needs the broker's acknowledgement. */
const TOPIC = 'events-spool-spec';

const record = (value: string): OutboundRecord => ({
  topic: TOPIC,
  key: 'tenant',
  value,
  headers: { 'event-id': value },
});

describe(EventSpool.name, () => {
  const infra = infraEnv();
  const logger = createLogger({ service: 'event-spool-spec', level: 'silent' });
  let redis: Redis;
  let producer: EventProducer;
  const spools: EventSpool[] = [];

  const newSpool = (maxRecords?: number) => {
    const spool = new EventSpool({
      redis,
      name: `event-spool-spec-${randomUUID()}`,
      maxRecords,
      drainBatch: 2,
    });
    spools.push(spool);
    return spool;
  };

  beforeAll(async () => {
    redis = createRedisClient(infra.redisUrl, { connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 });
    await redis.connect();
    producer = new EventProducer({
      kafka: createKafkaClient({ clientId: 'event-spool-spec', brokers: infra.kafkaBrokers, logger }),
    });
    await producer.connect();
  });

  afterAll(async () => {
    for (const spool of spools) await redis.del(spool.key, `${spool.key}:lock`);
    await producer?.disconnect();
    await redis?.quit();
  });

  it('keeps a batch that fits and refuses, whole, one that would pass the bound', async () => {
    const sut = newSpool(3);
    await sut.append([record('a'), record('b')]);

    const attempt = sut.append([record('c'), record('d')]);

    await expect(attempt).rejects.toThrow(EventSpoolFullError);
    await expect(attempt).rejects.toThrow(/is full \(3 records waiting for Kafka\); 2 event\(s\) refused/);
    expect(await sut.length()).toBe(2);
    await sut.append([record('c')]);
    expect(await sut.length()).toBe(3);
  });

  it('publishes every spooled record in batches and leaves the spool empty', async () => {
    const sut = newSpool();
    await sut.append(['1', '2', '3', '4', '5'].map(record));

    const result = await sut.drain(producer);

    expect(result).toEqual({ published: 5, emptied: true });
    expect(await sut.length()).toBe(0);
  });

  it('does not drain while another replica holds the lock', async () => {
    const sut = newSpool();
    await sut.append([record('held')]);
    await redis.set(`${sut.key}:lock`, 'another-replica', 'PX', 10_000);

    const result = await sut.drain(producer);

    expect(result).toEqual({ published: 0, emptied: false });
    expect(await sut.length()).toBe(1);
  });

  it('trims nothing once its lock was taken over mid-drain, so the new holder publishes those records', async () => {
    const sut = newSpool();
    await sut.append(['x', 'y', 'z'].map(record));
    // A publish that outlives the lock: another replica takes the lock before the trim.
    const outlivesItsLock = {
      publishRecords: async (records: OutboundRecord[]) => {
        await redis.set(`${sut.key}:lock`, 'another-replica', 'PX', 10_000);
        await producer.publishRecords(records);
      },
    } as EventProducer;

    const result = await sut.drain(outlivesItsLock);

    expect(result).toEqual({ published: 0, emptied: false });
    expect(await redis.lrange(sut.key, 0, -1)).toHaveLength(3);
    expect(await redis.get(`${sut.key}:lock`)).toBe('another-replica');
  });
});
