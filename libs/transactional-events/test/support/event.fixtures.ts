// Event builders and Kafka plumbing shared by the medium specs.
import { randomUUID } from 'node:crypto';

import type { UsageEventInput } from '@hearth/events';

import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

export function usageEvent(
  tenantId: string = randomUUID(),
  overrides: Partial<UsageEventInput['payload']> = {},
): UsageEventInput {
  return {
    id: randomUUID(),
    type: 'llm.usage',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId,
    payload: {
      requestId: `req-${randomUUID()}`,
      apiKeyId: randomUUID(),
      model: 'gemma-3-270m',
      inputTokens: 10,
      cachedTokens: 0,
      outputTokens: 5,
      costMicros: 7,
      latencyMs: 120,
      status: 'completed',
      cached: false,
      ...overrides,
    },
  };
}

export function kafkaBrokersFromEnv(): string[] {
  const value = process.env.KAFKA_BROKERS;
  if (!value)
    throw new Error('KAFKA_BROKERS is not set: run `eval "$(bash deploy/local/infra.sh env)"` or `npm test`');
  return value.split(',');
}

export function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}

/** Creates topics up front so the first produce does not race leader election on auto-creation. */
export async function createTopics(kafka: Kafka, topics: string[], numPartitions = 3): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      timeout: 10_000,
      topics: topics.map((topic) => ({ topic, numPartitions })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Total messages ever written to a topic (sum of partition high watermarks). */
export async function topicMessageCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface CollectedMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** A plain kafkajs consumer that collects what lands on a topic (to inspect dead letters). */
export async function collectMessages(
  kafka: Kafka,
  topic: string,
): Promise<{ messages: CollectedMessage[]; stop: () => Promise<void> }> {
  const messages: CollectedMessage[] = [];
  const consumer = kafka.consumer({ groupId: `collector-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic: from, partition, message }) => {
      messages.push({ topic: from, partition, message });
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}

export function headerText(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value[0] : value).toString();
}
