// Owns reading and replaying a dead-letter topic (`llm.usage.v1.dlq`, `llm.audit.v1.dlq`). Reading
// takes every letter up to the topic's end as it was when the read began, with a throw-away consumer
// group that commits nothing, so inspecting changes no offset. Replaying publishes chosen letters to
// the topic they came from with their original key, value and headers (the dlq-* ones removed): the
// ledger applies them like any event, idempotent by event id, so a letter replayed twice, or one the
// ledger stored meanwhile, changes nothing. A letter that is still poison comes back to the
// dead-letter topic with its new reason.
import { randomUUID } from 'node:crypto';

import { AUDIT_TOPIC, DEAD_LETTER_HEADERS, topicEnds, USAGE_TOPIC } from '@hearth/events';
import { withDeadline } from '@hearth/telemetry';

import type { IHeaders, Kafka } from 'kafkajs';

export const DEAD_LETTER_SOURCES = { usage: USAGE_TOPIC, audit: AUDIT_TOPIC } as const;
export type DeadLetterSource = keyof typeof DEAD_LETTER_SOURCES;

export interface DeadLetter {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** Every header as text, the dlq-* ones included. */
  headers: Record<string, string>;
  reason: string;
  sourceTopic: string;
  failedAt: string;
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DEAD_LETTER_HEADERS));

export class DeadLetterReader {
  constructor(
    private readonly kafka: Kafka,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Every letter of the source's dead-letter topic, oldest first per partition. */
  async read(source: DeadLetterSource): Promise<DeadLetter[]> {
    const topic = DEAD_LETTER_SOURCES[source].deadLetter;
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Array<{ partition: number; high: string; low: string }>;
    try {
      ends = (await topicEnds(admin, [topic])).get(topic)!;
    } finally {
      await admin.disconnect();
    }
    const pending = new Map(
      ends
        .filter((end) => BigInt(end.high) > BigInt(end.low))
        .map((end) => [end.partition, BigInt(end.high)]),
    );
    const letters: DeadLetter[] = [];
    if (pending.size === 0) return letters;
    const consumer = this.kafka.consumer({ groupId: `ledger-dlq-reader-${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await withDeadline(this.timeoutMs, `reading ${topic}`, async () => {
        await new Promise<void>((resolve, reject) => {
          consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                const end = pending.get(partition);
                if (end === undefined || BigInt(message.offset) >= end) return;
                letters.push(
                  toLetter(partition, message.offset, message.key, message.value, message.headers),
                );
                if (BigInt(message.offset) + 1n >= end) pending.delete(partition);
                if (pending.size === 0) resolve();
              },
            })
            .catch(reject);
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  }

  /** Publishes the letters back to their source topic; returns how many were sent. */
  async replay(source: DeadLetterSource, letters: readonly DeadLetter[]): Promise<number> {
    if (letters.length === 0) return 0;
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({
        topic: DEAD_LETTER_SOURCES[source].name,
        acks: -1,
        messages: letters.map((letter) => ({
          key: letter.key,
          value: letter.value,
          headers: Object.fromEntries(
            Object.entries(letter.headers).filter(([name]) => !DLQ_HEADER_NAMES.has(name)),
          ),
        })),
      });
    } finally {
      await producer.disconnect();
    }
    return letters.length;
  }
}

function toLetter(
  partition: number,
  offset: string,
  key: Buffer | null,
  value: Buffer | null,
  raw: IHeaders | undefined,
): DeadLetter {
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(raw ?? {})) {
    const first = Array.isArray(header) ? header[0] : header;
    if (first !== undefined) headers[name] = first.toString();
  }
  return {
    partition,
    offset,
    key: key?.toString() ?? null,
    value: value?.toString() ?? null,
    headers,
    reason: headers[DEAD_LETTER_HEADERS.error] ?? '',
    sourceTopic: headers[DEAD_LETTER_HEADERS.sourceTopic] ?? '',
    failedAt: headers[DEAD_LETTER_HEADERS.failedAt] ?? '',
  };
}
