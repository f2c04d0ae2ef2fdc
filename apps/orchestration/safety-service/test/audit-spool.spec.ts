// Medium spec: safety audit events while Kafka is unreachable. The sink publishes through the real
// spooled publisher into a real Redis spool; the producer's kafkajs client takes its broker list from
// a function, so the spec points it at a port nobody listens on (an outage of this producer only, the
// shared broker keeps serving) and then at the real broker. Events are read back from llm.audit.v1.
import { randomUUID } from 'node:crypto';

import {
  AUDIT_TOPIC,
  auditEventSchema,
  createKafkaClient,
  EventProducer,
  EventSpool,
  SpooledEventPublisher,
  type AuditEventInput,
} from '@hearth/events';
import { createRedisClient } from '@hearth/redis';
import { createLogger } from '@hearth/telemetry';
import { freePort, infraEnv, waitFor } from '@hearth/testing';

import type { Redis } from 'ioredis';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

import { AuditBacklogFullError } from '../src/audit/audit-backlog-full.error';
import { SpooledAuditSink } from '../src/audit/spooled-audit.sink';

// Kafka round trips, a consumer reading the shared topic from its start, and an outage to sit out.
jest.setTimeout(90_000);

function auditEvent(tenantId: string): AuditEventInput {
  return {
    id: randomUUID(),
    type: 'llm.audit',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId,
    payload: {
      actor: { type: 'service', id: 'safety-service' },
      action: 'safety.input_check',
      decision: 'blocked_input',
      ruleIds: ['jailbreak.v1'],
      resource: { type: 'chat_request', id: randomUUID() },
    },
  };
}

describe('safety audit events through the Redis spool', () => {
  const logger = createLogger({ service: 'audit-spool-spec', level: 'silent' });
  const infra = infraEnv();
  /** Event ids seen on llm.audit.v1, by tenant. */
  const seen = new Map<string, string[]>();
  const stops: (() => Promise<unknown> | void)[] = [];
  let redis: Redis;
  let consumer: Consumer;

  beforeAll(async () => {
    redis = createRedisClient(infra.redisUrl, { connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 });
    await redis.connect();
    const kafka = createKafkaClient({ clientId: 'audit-spool-spec', brokers: infra.kafkaBrokers, logger });
    // The topic may not exist yet on a fresh broker; subscribing to an auto-created one races its leader election.
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: AUDIT_TOPIC.name }], waitForLeaders: true });
    await admin.disconnect();
    consumer = kafka.consumer({ groupId: `audit-spool-spec-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: AUDIT_TOPIC.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const parsed = auditEventSchema.safeParse(JSON.parse(message.value?.toString('utf8') ?? 'null'));
        if (!parsed.success) return;
        seen.get(parsed.data.tenantId)?.push(parsed.data.id);
      },
    });
  }, 60_000);

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await redis?.quit();
  });

  /** A sink whose producer reaches only the brokers in `brokers.current`, unreachable at first. */
  async function startSink(options: { maxQueued: number; maxSpooled?: number }) {
    const brokers = { current: [`127.0.0.1:${await freePort()}`] };
    const kafka = new Kafka({
      clientId: 'audit-spool-spec-producer',
      brokers: () => brokers.current,
      connectionTimeout: 1_000,
      requestTimeout: 5_000,
      retry: { retries: 1, initialRetryTime: 100 },
      logLevel: logLevel.NOTHING,
    });
    const producer = new EventProducer({
      kafka,
      connectTimeoutMs: 3_000,
      sendTimeoutMs: 5_000,
      retry: { retries: 1, initialRetryTime: 100 },
    });
    const spool = new EventSpool({
      redis,
      name: `audit-spool-spec-${randomUUID()}`,
      maxRecords: options.maxSpooled,
    });
    const publisher = new SpooledEventPublisher({ producer, spool, logger, drainIntervalMs: 200 });
    publisher.start();
    const sut = new SpooledAuditSink({
      publisher,
      logger,
      maxQueued: options.maxQueued,
      batchSize: 10,
      retryDelayMs: 100,
    });
    stops.push(
      () => redis.del(spool.key),
      () => producer.disconnect().catch(() => undefined),
      () => publisher.stop(),
      () => sut.close(),
    );
    const tenantId = randomUUID();
    seen.set(tenantId, []);
    const kafkaReturns = () => {
      brokers.current = infra.kafkaBrokers;
    };
    return { sut, spool, tenantId, kafkaReturns };
  }

  /** Records `count` events, then waits until the sink handed every one to Kafka or the spool. */
  async function recordRound(sut: SpooledAuditSink, tenantId: string, count: number): Promise<string[]> {
    const events = Array.from({ length: count }, () => auditEvent(tenantId));
    for (const event of events) sut.record(event);
    await waitFor('the sink to hand its queue over', () => sut.pending === 0);
    return events.map((event) => event.id);
  }

  it('spools events while the broker is unreachable, past the in-memory bound, and delivers every one once it returns', async () => {
    const { sut, spool, tenantId, kafkaReturns } = await startSink({ maxQueued: 20 });
    const recorded: string[] = [];

    // 100 events, five times the in-memory bound: the old sink dropped all but the newest 20.
    for (let round = 0; round < 10; round++) recorded.push(...(await recordRound(sut, tenantId, 10)));

    expect(await spool.length()).toBe(100);
    expect(seen.get(tenantId)).toEqual([]);

    kafkaReturns();

    await waitFor('every recorded event on llm.audit.v1', () => seen.get(tenantId)!.length >= 100, {
      timeoutMs: 45_000,
    });
    expect(new Set(seen.get(tenantId))).toEqual(new Set(recorded));
    await waitFor('the spool to be empty', async () => (await spool.length()) === 0);
  });

  it('refuses the caller, and drops nothing, when the spool and the in-memory queue are both full', async () => {
    const { sut, spool, tenantId, kafkaReturns } = await startSink({ maxQueued: 10, maxSpooled: 30 });
    const accepted: string[] = [];
    for (let round = 0; round < 3; round++) accepted.push(...(await recordRound(sut, tenantId, 10)));
    expect(await spool.length()).toBe(30);

    // The spool refuses the next batch, so it stays queued in memory until the queue is full.
    const queued = Array.from({ length: 10 }, () => auditEvent(tenantId));
    for (const event of queued) sut.record(event);
    accepted.push(...queued.map((event) => event.id));
    const refused = auditEvent(tenantId);

    expect(() => sut.record(refused)).toThrow(AuditBacklogFullError);
    expect(sut.pending).toBe(10);
    expect(await spool.length()).toBe(30);

    kafkaReturns();

    await waitFor('every accepted event on llm.audit.v1', () => seen.get(tenantId)!.length >= 40, {
      timeoutMs: 45_000,
    });
    expect(new Set(seen.get(tenantId))).toEqual(new Set(accepted));
    expect(seen.get(tenantId)).not.toContain(refused.id);
  });
});
