// Owns reading llm.usage.v1 from the real broker for one spec: it starts at the topic's end at
// subscription time (earlier runs' events are skipped) and keeps the events `keep` accepts.
import { randomUUID } from 'node:crypto';

import { createKafkaClient, USAGE_TOPIC, type UsageEvent } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';

import { infraEnv } from '../infra/infra-env.loader';

export interface UsageEvents {
  /** Every kept event, in arrival order. */
  events: UsageEvent[];
  forTenant(tenantId: string): UsageEvent[];
  close(): Promise<void>;
}

export interface UsageEventsOptions {
  /** Which events to keep (default: all). */
  keep?: (event: UsageEvent) => boolean;
}

export async function consumeUsageEvents(options: UsageEventsOptions = {}): Promise<UsageEvents> {
  const logger = createLogger({ service: 'usage-test', level: 'silent' });
  const kafka = createKafkaClient({ clientId: 'usage-test', brokers: infraEnv().kafkaBrokers, logger });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: USAGE_TOPIC.name }] }).catch(() => false);
  const endOffsets = await admin.fetchTopicOffsets(USAGE_TOPIC.name);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `usage-test-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const events: UsageEvent[] = [];
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic: USAGE_TOPIC.name });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = USAGE_TOPIC.schema.parse(JSON.parse(message.value?.toString() ?? 'null')) as UsageEvent;
      if (options.keep?.(event) ?? true) events.push(event);
    },
  });
  await joined;
  for (const { partition, offset } of endOffsets)
    consumer.seek({ topic: USAGE_TOPIC.name, partition, offset });
  return {
    events,
    forTenant: (tenantId) => events.filter((event) => event.tenantId === tenantId),
    close: () => consumer.disconnect(),
  };
}
