// Owns measuring consumer lag the way Kafka's own tooling does: per partition, the log end offset
// minus the group's committed offset (the log start when the group has committed nothing yet). It
// asks the broker at scrape time, so a stuck consumer shows growing lag instead of its last value.
import { withDeadline } from '@hearth/telemetry';

import type { Admin, Kafka } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export class ConsumerLagProbe {
  private readonly admin: Admin;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly timeoutMs = 5_000,
  ) {
    this.admin = kafka.admin();
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await withDeadline(this.timeoutMs, 'Kafka admin connect', () => this.admin.connect());
    this.connected = true;
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await withDeadline(this.timeoutMs, 'Kafka admin disconnect', () => this.admin.disconnect());
  }

  async lag(groupId: string, topic: string): Promise<PartitionLag[]> {
    await this.connect();
    return withDeadline(this.timeoutMs, `consumer lag of ${groupId}`, async () => {
      const [ends, committed] = await Promise.all([
        this.admin.fetchTopicOffsets(topic),
        this.admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const committedByPartition = new Map(
        (committed.find((entry) => entry.topic === topic)?.partitions ?? []).map((p) => [
          p.partition,
          Number(p.offset),
        ]),
      );
      return ends.map((end) => ({
        topic,
        partition: end.partition,
        lag: partitionLag(Number(end.high), Number(end.low), committedByPartition.get(end.partition)),
      }));
    });
  }
}

/** Kafka reports "nothing committed" as offset -1; the group then has everything from the log start left. */
export function partitionLag(high: number, low: number, committed: number | undefined): number {
  const position = committed === undefined || committed < 0 ? low : committed;
  return Math.max(0, high - position);
}
