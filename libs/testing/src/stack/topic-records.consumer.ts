// Owns reading topics from the real broker for one spec: it starts at each topic's end at subscription
// time (earlier runs' records are skipped) and keeps every record's topic and raw value, in arrival order.
import { randomUUID } from 'node:crypto';

import { createKafkaClient, topicEnds } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';

import { infraEnv } from '../infra/infra-env.loader';

export interface TopicRecord {
  topic: string;
  /** The record's value as sent (JSON text for the platform's topics). */
  value: string;
}

export interface TopicRecords {
  records: TopicRecord[];
  close(): Promise<void>;
}

export async function consumeTopicRecords(topics: readonly string[]): Promise<TopicRecords> {
  const logger = createLogger({ service: 'topic-test', level: 'silent' });
  const kafka = createKafkaClient({ clientId: 'topic-test', brokers: infraEnv().kafkaBrokers, logger });
  const admin = kafka.admin();
  await admin.connect();
  // Leaders elected before the end offsets are read (a fresh broker elects them a moment later).
  const ends = await topicEnds(admin, topics);
  const endOffsets = topics.map((topic) => ({ topic, offsets: ends.get(topic)! }));
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `topic-test-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const records: TopicRecord[] = [];
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics] });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      records.push({ topic, value: message.value?.toString() ?? '' });
    },
  });
  await joined;
  for (const { topic, offsets } of endOffsets) {
    for (const { partition, offset } of offsets) consumer.seek({ topic, partition, offset });
  }
  return { records, close: () => consumer.disconnect() };
}
