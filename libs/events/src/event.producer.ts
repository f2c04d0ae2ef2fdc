// Owns publishing to Kafka: an idempotent kafkajs producer (acks from all in-sync replicas, one
// request in flight so retries cannot reorder a partition), schema validation before anything is
// sent, the trace context and event metadata in headers, the tenant id as key (per-tenant order),
// and a deadline on every call.
import { activeTraceId, injectIntoKafkaHeaders, withDeadline, withSpan } from '@hearth/telemetry';

import { SpanKind } from '@opentelemetry/api';
import {
  Partitioners,
  type IHeaders,
  type Kafka,
  type Message,
  type Producer,
  type RetryOptions,
} from 'kafkajs';

import { parseEvent, type EventInputOf, type EventOf, type EventTopic } from './event-topic.model';
import type { EventEnvelope } from './event.schemas';
import { EVENT_HEADERS } from './topics.constants';

export interface EventProducerOptions {
  kafka: Kafka;
  /** Deadline for connecting (and initialising the idempotent producer id). */
  connectTimeoutMs?: number;
  /** Deadline for one publish, kafkajs's own retries included. */
  sendTimeoutMs?: number;
  /** How long the broker may wait for in-sync replicas before failing the produce request. */
  ackTimeoutMs?: number;
  /** kafkajs retries inside one publish; bounded so a dead broker surfaces as an error. */
  retry?: RetryOptions;
}

/** A message ready for the wire: what the outbox stores and the relay sends. */
export interface OutboundRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer;
  headers: IHeaders;
}

export class EventProducer {
  private readonly producer: Producer;
  private connected = false;
  private readonly connectTimeoutMs: number;
  private readonly sendTimeoutMs: number;
  private readonly ackTimeoutMs: number;

  constructor(options: EventProducerOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      // Named explicitly (murmur2, as the Java client) so keys land on the same partition as other clients'.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: options.retry ?? { retries: 5, initialRetryTime: 200, maxRetryTime: 3_000 },
    });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await withDeadline(this.connectTimeoutMs, 'Kafka producer connect', () => this.producer.connect());
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    await withDeadline(this.connectTimeoutMs, 'Kafka producer disconnect', () => this.producer.disconnect());
  }

  /**
   * Validates and publishes events in order. Nothing is sent unless every event is valid: a bad
   * one throws an EventValidationError naming the topic and each offending field.
   */
  async publish<T extends EventTopic>(
    topic: T,
    events: EventInputOf<T> | EventInputOf<T>[],
  ): Promise<EventOf<T>[]> {
    const list = Array.isArray(events) ? events : [events];
    return withSpan(
      `${topic.name} publish`,
      async () => {
        // Validate inside the span so a refused event is visible in the trace that tried to send it.
        const parsed = list.map((event) => parseEvent(topic, withActiveTraceId(event)));
        await this.publishRecords(parsed.map((event) => toRecord(topic.name, event)));
        return parsed;
      },
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': topic.name,
          'messaging.batch.message_count': list.length,
        },
      },
    );
  }

  /** Sends already-validated records (the outbox relay's path), keeping their stored headers. */
  async publishRecords(records: OutboundRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.connect();
    const topicMessages: { topic: string; messages: Message[] }[] = [];
    for (const record of records) {
      const message: Message = { key: record.key, value: record.value, headers: record.headers };
      const last = topicMessages[topicMessages.length - 1];
      if (last?.topic === record.topic) last.messages.push(message);
      else topicMessages.push({ topic: record.topic, messages: [message] });
    }
    await withDeadline(this.sendTimeoutMs, `Kafka publish of ${records.length} message(s)`, () =>
      this.producer.sendBatch({ topicMessages, acks: -1, timeout: this.ackTimeoutMs }),
    );
  }
}

/** Stamps the active trace id on an event that has none, so a stored event leads back to its trace. */
export function withActiveTraceId(event: unknown): unknown {
  const traceId = activeTraceId();
  if (!traceId || typeof event !== 'object' || event === null) return event;
  return (event as { traceId?: unknown }).traceId === undefined ? { ...event, traceId } : event;
}

/** Builds the wire record for a validated event; the trace context comes from the active span. */
export function toRecord(topic: string, event: EventEnvelope): OutboundRecord {
  const headers: IHeaders = {
    [EVENT_HEADERS.id]: event.id,
    [EVENT_HEADERS.type]: event.type,
    [EVENT_HEADERS.version]: String(event.version),
    [EVENT_HEADERS.contentType]: 'application/json',
  };
  injectIntoKafkaHeaders(headers);
  return { topic, key: event.tenantId, value: JSON.stringify(event), headers };
}
