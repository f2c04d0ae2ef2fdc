// Collects the llm.usage.v1 events one spec's tenants cause, reading the shared topic from its end
// at subscription time (earlier runs' events are skipped).
import { randomUUID } from 'node:crypto';

import { createKafkaClient, USAGE_TOPIC, type UsageEvent } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { infraEnv } from '@hearth/testing';

export interface UsageEvents {
  events: UsageEvent[];
  forTenant(tenantId: string): UsageEvent[];
  close(): Promise<void>;
}

export async function collectUsageEvents(): Promise<UsageEvents> {
  const logger = createLogger({ service: 'bff-usage-test', level: 'silent' });
  const kafka = createKafkaClient({ clientId: 'bff-usage-test', brokers: infraEnv().kafkaBrokers, logger });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: USAGE_TOPIC.name }] }).catch(() => false);
  const endOffsets = await admin.fetchTopicOffsets(USAGE_TOPIC.name);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `bff-usage-test-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const events: UsageEvent[] = [];
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic: USAGE_TOPIC.name });
  await consumer.run({
    eachMessage: async ({ message }) => {
      events.push(USAGE_TOPIC.schema.parse(JSON.parse(message.value?.toString() ?? 'null')) as UsageEvent);
    },
  });
  await joined;
  for (const { partition, offset } of endOffsets)
    consumer.seek({ topic: USAGE_TOPIC.name, partition, offset });
  return {
    events,
    forTenant: (tenantId) => events.filter((e) => e.tenantId === tenantId),
    close: () => consumer.disconnect(),
  };
}
