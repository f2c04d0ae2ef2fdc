// Reads llm.audit.v1 from the shared broker from its current end, keeping the events of the tenants
// a spec created, so specs can assert what the tool runner audited.
import { randomUUID } from 'node:crypto';

import { AUDIT_TOPIC, createKafkaClient, topicEnds, type AuditEvent } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { infraEnv } from '@hearth/testing';

import type { Consumer } from 'kafkajs';

export interface AuditEvents {
  events: AuditEvent[];
  waitFor(predicate: (events: AuditEvent[]) => boolean, timeoutMs?: number): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

export async function consumeAuditEvents(tenantIds: Set<string>): Promise<AuditEvents> {
  const logger = createLogger({ service: 'tool-audit-test', level: 'silent' });
  const kafka = createKafkaClient({ clientId: 'tool-audit-test', brokers: infraEnv().kafkaBrokers, logger });
  const admin = kafka.admin();
  await admin.connect();
  const endOffsets = (await topicEnds(admin, [AUDIT_TOPIC.name])).get(AUDIT_TOPIC.name)!;
  await admin.disconnect();
  const events: AuditEvent[] = [];
  const consumer: Consumer = kafka.consumer({
    groupId: `tool-audit-test-${randomUUID()}`,
    maxWaitTimeInMs: 200,
  });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic: AUDIT_TOPIC.name });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = AUDIT_TOPIC.schema.parse(JSON.parse(message.value?.toString() ?? 'null')) as AuditEvent;
      if (tenantIds.has(event.tenantId)) events.push(event);
    },
  });
  await joined;
  for (const { partition, offset } of endOffsets)
    consumer.seek({ topic: AUDIT_TOPIC.name, partition, offset });
  return {
    events,
    async waitFor(predicate, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > until)
          throw new Error(
            `audit events not seen in time; got ${JSON.stringify(events.map((e) => e.payload.action))}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
      return events;
    },
    close: () => consumer.disconnect(),
  };
}
