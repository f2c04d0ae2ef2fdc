// The ledger as the medium specs run it: the compiled app as a real process on its own database
// (committed migrations) and its own consumer groups on the shared broker's real topics. The groups'
// offsets are set to the topics' current ends before it starts, so it sees exactly the events a spec
// publishes from then on (none of earlier runs', none missed). Events go out through the same
// producer the gateway uses; malformed ones through a raw kafkajs producer.
import { randomUUID } from 'node:crypto';

import {
  AUDIT_TOPIC,
  createKafkaClient,
  DEAD_LETTER_HEADERS,
  EventProducer,
  topicEnds,
  USAGE_TOPIC,
  type AuditEventInput,
  type EventTopic,
  type UsageEventInput,
} from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, freePort, infraEnv, ServiceProcess, type TestDatabase } from '@hearth/testing';

import { Partitioners, type Admin, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';

export const LEDGER_TOPICS = [USAGE_TOPIC, AUDIT_TOPIC] as const;

export interface LedgerStack {
  kafka: Kafka;
  db: TestDatabase;
  ledger: ServiceProcess;
  metricsPort: number;
  groupPrefix: string;
  producer: EventProducer;
  raw: Producer;
  /** Sends raw bytes as they are (no validation), keyed by tenant. */
  sendRaw(topic: EventTopic, tenantId: string, value: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLedgerStack(env: Record<string, string> = {}): Promise<LedgerStack> {
  const logger = createLogger({ service: 'ledger-spec', level: 'error' });
  const kafka = createKafkaClient({ clientId: 'ledger-spec', brokers: infraEnv().kafkaBrokers, logger });
  const groupPrefix = `ledger-spec-${randomUUID().slice(0, 8)}`;
  await startGroupsAtTheEnd(kafka, groupPrefix);
  const db = await createTestDatabase();
  const metricsPort = await freePort();
  const ledger = await ServiceProcess.start({
    app: 'ledger',
    env: {
      DATABASE_URL: db.url,
      LEDGER_CONSUMER_GROUP: groupPrefix,
      LEDGER_RETRY_BACKOFF_MS: '50',
      METRICS_PORT: String(metricsPort),
      ...env,
    },
  });
  const producer = new EventProducer({ kafka });
  await producer.connect();
  const raw = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await raw.connect();
  return {
    kafka,
    db,
    ledger,
    metricsPort,
    groupPrefix,
    producer,
    raw,
    async sendRaw(topic, tenantId, value) {
      await raw.send({ topic: topic.name, messages: [{ key: tenantId, value }] });
    },
    async close() {
      await ledger.stop();
      await raw.disconnect();
      await producer.disconnect();
      await db.drop();
    },
  };
}

/** The ledger's topics and their dead-letter topics, created if missing, with their end offsets. */
function ledgerTopicEnds(admin: Admin) {
  return topicEnds(
    admin,
    LEDGER_TOPICS.flatMap((topic) => [topic.name, topic.deadLetter]),
  );
}

/** Creates the topics if needed and commits the ledger's groups at their current ends. */
async function startGroupsAtTheEnd(kafka: Kafka, groupPrefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await ledgerTopicEnds(admin);
    for (const [topic, name] of [
      [USAGE_TOPIC, 'usage'],
      [AUDIT_TOPIC, 'audit'],
    ] as const) {
      await admin.setOffsets({
        groupId: `${groupPrefix}.${name}`,
        topic: topic.name,
        partitions: ends.get(topic.name)!.map(({ partition, high }) => ({ partition, offset: high })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

export interface DeadLetter {
  message: KafkaMessage;
  header(name: string): string | undefined;
}

/**
 * Collects what lands on a dead-letter topic from now on that the consumer group `group()` wrote: the
 * ledgers of other specs running beside this one consume the same topics under their own groups and
 * dead-letter the same poison (and their own). Start it before the ledger, so that it sees every
 * letter the ledger writes.
 */
export async function collectDeadLetters(
  topic: EventTopic,
  group: () => string | undefined,
): Promise<{ letters: DeadLetter[]; stop(): Promise<void> }> {
  const logger = createLogger({ service: 'ledger-spec-dlq', level: 'error' });
  const kafka = createKafkaClient({ clientId: 'ledger-spec-dlq', brokers: infraEnv().kafkaBrokers, logger });
  const admin = kafka.admin();
  await admin.connect();
  // On a fresh broker the topics exist only once a ledger started: this collector starts first.
  const ends = (await ledgerTopicEnds(admin)).get(topic.deadLetter)!;
  await admin.disconnect();
  const letters: DeadLetter[] = [];
  const consumer = kafka.consumer({ groupId: `ledger-spec-dlq-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic: topic.deadLetter });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const letter: DeadLetter = {
        message,
        header: (name) => {
          const header = message.headers?.[name];
          return header === undefined ? undefined : (Array.isArray(header) ? header[0] : header).toString();
        },
      };
      if (letter.header(DEAD_LETTER_HEADERS.consumerGroup) === group()) letters.push(letter);
    },
  });
  await joined;
  for (const { partition, high } of ends) consumer.seek({ topic: topic.deadLetter, partition, offset: high });
  return { letters, stop: () => consumer.disconnect() };
}

export function usageEvent(
  tenantId: string,
  overrides: Partial<UsageEventInput['payload']> = {},
  occurredAt = new Date(),
): UsageEventInput {
  return {
    id: randomUUID(),
    type: 'llm.usage',
    version: 1,
    occurredAt: occurredAt.toISOString(),
    tenantId,
    payload: {
      requestId: `req-${randomUUID()}`,
      apiKeyId: randomUUID(),
      model: 'smollm2-135m-instruct',
      inputTokens: 100,
      cachedTokens: 20,
      outputTokens: 40,
      costMicros: 1_300,
      latencyMs: 250,
      status: 'completed',
      cached: false,
      ...overrides,
    },
  };
}

export function auditEvent(tenantId: string): AuditEventInput {
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
      ruleIds: ['injection.ignore_previous'],
      resource: { type: 'conversation', id: randomUUID() },
      metadata: { category: 'injection' },
    },
  };
}

/** The ledger's /metrics as text. */
export async function scrapeMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/** The value of one sample line (`name{labels} value`) whose labels include every one given. */
export function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}
