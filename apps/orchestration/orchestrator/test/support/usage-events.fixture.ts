// Reads llm.usage.v1 from the real broker for one spec: starts at the topic's current end and keeps
// the events of the given tenants.
import { randomUUID } from 'node:crypto';

import { createKafkaClient, USAGE_TOPIC, type UsageEvent } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { infraEnv } from '@hearth/testing';

import type { Consumer } from 'kafkajs';

export interface UsageEvents {
  events: UsageEvent[];
  stop(): Promise<void>;
}

export async function consumeUsage(tenantIds: () => Set<string>): Promise<UsageEvents> {
  const logger = createLogger({ service: 'usage-test', level: 'silent' });
  const kafka = createKafkaClient({
    clientId: 'orchestrator-usage-test',
    brokers: infraEnv().kafkaBrokers,
    logger,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: USAGE_TOPIC.name }] }).catch(() => false);
  const endOffsets = await admin.fetchTopicOffsets(USAGE_TOPIC.name);
  await admin.disconnect();
  const events: UsageEvent[] = [];
  const consumer: Consumer = kafka.consumer({
    groupId: `orchestrator-usage-${randomUUID()}`,
    maxWaitTimeInMs: 200,
  });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic: USAGE_TOPIC.name });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = USAGE_TOPIC.schema.parse(JSON.parse(message.value?.toString() ?? 'null')) as UsageEvent;
      if (tenantIds().has(event.tenantId)) events.push(event);
    },
  });
  await joined;
  for (const { partition, offset } of endOffsets)
    consumer.seek({ topic: USAGE_TOPIC.name, partition, offset });
  return { events, stop: () => consumer.disconnect() };
}
