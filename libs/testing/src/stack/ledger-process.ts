// Owns starting a ledger for one spec on the shared broker: its consumer groups (`<group>.usage`,
// `<group>.audit`) are set to the topics' current ends first, so it stores the events this spec
// produces and none of the runs before it.
import { randomUUID } from 'node:crypto';

import { AUDIT_TOPIC, createKafkaClient, topicEnds, USAGE_TOPIC } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';

import { freePort } from '../infra/free-port.util';
import { infraEnv } from '../infra/infra-env.loader';
import { ServiceProcess } from '../services/service-process';

export interface LedgerProcess {
  process: ServiceProcess;
  /** The consumer group prefix it runs under. */
  group: string;
}

/** A ledger process on `databaseUrl`, consuming usage and audit events from the topics' ends. */
export async function startLedgerFromTopicEnds(options: {
  databaseUrl: string;
  /** Prefix of the consumer group (a random suffix is added). */
  name: string;
  /** More environment for the ledger (overrides the defaults above it, METRICS_PORT included). */
  env?: Record<string, string>;
}): Promise<LedgerProcess> {
  const logger = createLogger({ service: `${options.name}-ledger`, level: 'error' });
  const kafka = createKafkaClient({ clientId: options.name, brokers: infraEnv().kafkaBrokers, logger });
  const group = `${options.name}-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await topicEnds(admin, [USAGE_TOPIC.name, AUDIT_TOPIC.name]);
    for (const [topic, suffix] of [
      [USAGE_TOPIC.name, 'usage'],
      [AUDIT_TOPIC.name, 'audit'],
    ] as const) {
      await admin.setOffsets({
        groupId: `${group}.${suffix}`,
        topic,
        partitions: ends.get(topic)!.map(({ partition, high }) => ({ partition, offset: high })),
      });
    }
  } finally {
    await admin.disconnect();
  }
  const process = await ServiceProcess.start({
    app: 'ledger',
    env: {
      DATABASE_URL: options.databaseUrl,
      LEDGER_CONSUMER_GROUP: group,
      METRICS_PORT: String(await freePort()),
      ...options.env,
    },
  });
  return { process, group };
}
