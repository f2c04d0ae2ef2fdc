// Medium spec: the spooled publisher's order of attempts, against the real Redis and the real broker.
// Its kafkajs client takes the broker list from a function, so the spec points it at a port nobody
// listens on (Kafka down for this producer only) and then at the shared broker (Kafka back). The cases
// are one outage told in order: they share the publisher and its spool.
import { randomUUID } from 'node:crypto';

import { createRedisClient } from '@hearth/redis';
import { createLogger } from '@hearth/telemetry';
import { freePort, infraEnv } from '@hearth/testing';

import type { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

import { EventSpool } from '../src/event-spool';
import { EventSpoolFullError } from '../src/event-spool.errors';
import { defineTopic } from '../src/event-topic.model';
import { EventValidationError } from '../src/event-validation.error';
import { EventProducer } from '../src/event.producer';
import { auditEventSchema, type AuditEventInput } from '../src/event.schemas';
import { SpooledEventPublisher } from '../src/spooled-event.publisher';

jest.setTimeout(60_000);

/** Nothing consumes it: the spec only needs the broker's acknowledgement. */
const TOPIC = defineTopic('llm.audit.v1.spooled-publisher-spec', auditEventSchema);

function auditEvent(): AuditEventInput {
  return {
    id: randomUUID(),
    type: 'llm.audit',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId: randomUUID(),
    payload: {
      actor: { type: 'service', id: 'spooled-publisher-spec' },
      action: 'safety.input_check',
      ruleIds: [],
      resource: { type: 'chat_request', id: randomUUID() },
    },
  };
}

describe(SpooledEventPublisher.name, () => {
  const infra = infraEnv();
  const logger = createLogger({ service: 'spooled-publisher-spec', level: 'silent' });
  const brokers = { current: [] as string[] };
  let redis: Redis;
  let producer: EventProducer;
  let spool: EventSpool;
  let sut: SpooledEventPublisher;

  beforeAll(async () => {
    brokers.current = [`127.0.0.1:${await freePort()}`];
    redis = createRedisClient(infra.redisUrl, { connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 });
    await redis.connect();
    const kafka = new Kafka({
      clientId: 'spooled-publisher-spec',
      brokers: () => brokers.current,
      connectionTimeout: 1_000,
      retry: { retries: 1, initialRetryTime: 100 },
      logLevel: logLevel.NOTHING,
    });
    producer = new EventProducer({
      kafka,
      connectTimeoutMs: 3_000,
      retry: { retries: 1, initialRetryTime: 100 },
    });
    spool = new EventSpool({ redis, name: `spooled-publisher-spec-${randomUUID()}`, maxRecords: 2 });
    sut = new SpooledEventPublisher({ producer, spool, logger });
  });

  afterAll(async () => {
    await redis?.del(spool.key);
    await producer?.disconnect().catch(() => undefined);
    await redis?.quit();
  });

  it('refuses a malformed event before trying Kafka or the spool', async () => {
    await expect(sut.publish(TOPIC, [{ ...auditEvent(), tenantId: 'acme' }])).rejects.toThrow(
      EventValidationError,
    );
    expect(await spool.length()).toBe(0);
  });

  it('spools what Kafka refuses, and refuses the caller once the spool is full and Kafka still down', async () => {
    await expect(sut.publish(TOPIC, [auditEvent(), auditEvent()])).resolves.toBe('spooled');

    await expect(sut.publish(TOPIC, [auditEvent()])).rejects.toThrow(EventSpoolFullError);
    expect(await spool.length()).toBe(2);
  });

  it('sends straight to Kafka when the spool is full but Kafka is back', async () => {
    brokers.current = infra.kafkaBrokers;

    await expect(sut.publish(TOPIC, [auditEvent()])).resolves.toBe('published');
    expect(await spool.length()).toBe(2);
  });

  it('publishes to Kafka first again once a drain emptied the spool', async () => {
    await sut.drain();
    expect(await spool.length()).toBe(0);

    await expect(sut.publish(TOPIC, [auditEvent()])).resolves.toBe('published');
    expect(await spool.length()).toBe(0);
  });
});
