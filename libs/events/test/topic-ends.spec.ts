// Medium spec: topicEnds against the real broker, for topics it creates and for topics another client
// created a moment earlier without waiting for their leaders (kafkajs' createTopics then returns at
// once, and a plain fetchTopicOffsets could meet a partition that has no leader yet).
import { randomUUID } from 'node:crypto';

import { createLogger } from '@hearth/telemetry';
import { infraEnv } from '@hearth/testing';

import type { Admin } from 'kafkajs';

import { createKafkaClient } from '../src/kafka-client.factory';
import { topicEnds } from '../src/topic-ends';

jest.setTimeout(60_000);

describe(topicEnds.name, () => {
  const logger = createLogger({ service: 'topic-ends-spec', level: 'silent' });
  const kafka = createKafkaClient({ clientId: 'topic-ends-spec', brokers: infraEnv().kafkaBrokers, logger });
  let admin: Admin;
  let other: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    other = kafka.admin();
    await Promise.all([admin.connect(), other.connect()]);
  });

  afterAll(() => Promise.all([admin?.disconnect(), other?.disconnect()]));

  it('creates missing topics and answers every partition’s ends', async () => {
    const topics = [`topic-ends-${randomUUID()}`, `topic-ends-${randomUUID()}`];

    const ends = await topicEnds(admin, topics);

    expect([...ends.keys()]).toEqual(topics);
    for (const topic of topics) {
      const partitions = ends.get(topic) ?? [];
      expect(partitions.map((end) => end.partition).sort()).toEqual([0, 1, 2]); // the broker's default
      expect(partitions.every((end) => end.high === '0' && end.low === '0')).toBe(true);
    }
  });

  it('answers the ends of topics another client has just created without waiting for leaders', async () => {
    const topics = Array.from({ length: 4 }, () => `topic-ends-${randomUUID()}`);
    await other.createTopics({
      waitForLeaders: false,
      topics: topics.map((topic) => ({ topic, numPartitions: 3 })),
    });

    const ends = await topicEnds(admin, topics);

    for (const topic of topics) expect(ends.get(topic)?.map((end) => end.high)).toEqual(['0', '0', '0']);
  });

  it('throws a non-retriable error at once', async () => {
    await expect(topicEnds(admin, ['no spaces allowed'])).rejects.toThrow();
  });
});
