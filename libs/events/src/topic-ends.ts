// Owns reading topics' end offsets on a broker that may have just created them. kafkajs'
// createTopics waits for leaders only when it created every topic itself: when any already existed
// (another client's auto-create a moment earlier, a spec beside this one) it returns at once, and
// reading the offsets can then fail with NOT_LEADER_OR_FOLLOWER or LEADER_NOT_AVAILABLE, which kafkajs
// marks retriable but fetchTopicOffsets does not retry. Here those are retried with fresh metadata.
import type { Admin } from 'kafkajs';

export type PartitionEnds = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

/**
 * Creates the topics that are missing (in one request) and answers each topic's partition offsets
 * once every partition has a leader; gives up after `timeoutMs`, throwing the last Kafka error.
 */
export async function topicEnds(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<Map<string, PartitionEnds>> {
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic })) });
  const deadline = Date.now() + timeoutMs;
  const ends = new Map<string, PartitionEnds>();
  for (const topic of topics) {
    for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 1_000)) {
      try {
        ends.set(topic, await admin.fetchTopicOffsets(topic));
        break;
      } catch (error) {
        if ((error as { retriable?: boolean }).retriable !== true || Date.now() + delayMs > deadline)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        // Fresh metadata, so the next read goes to the partition's new leader.
        await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
      }
    }
  }
  return ends;
}
