// Ledger ingestion: how fast the compiled ledger stores usage events from the real broker (events/s,
// a burst of N published at once, written in batches (LEDGER_BATCH_SIZE, default 100) and, in the
// same run, one transaction per event (LEDGER_BATCH_SIZE=1)), and the delay from an event's publication (the moment the gateway
// hands a metered response's usage to Kafka) to the row being queryable in PostgreSQL, p50/p99, at a
// paced rate. Peers measured in the same run: for the rate, the same rows written straight into
// PostgreSQL in batches (the database's own floor, no broker, no dedupe); for the delay, a bare kafkajs
// consumer of the same topic (what the broker's delivery alone costs). Needs the local infrastructure:
//
//   npm run build   # the ledger runs from its compiled output
//   eval "$(bash deploy/local/infra.sh env)"
//   npx tsx bench/ledger/ledger-ingestion.bench.ts [burst=5000] [paced=300] [paced-rate-per-s=50]
import { randomUUID } from 'node:crypto';

import { createKafkaClient, EventProducer, USAGE_TOPIC, type UsageEventInput } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, freePort, infraEnv, ServiceProcess } from '@hearth/testing';

import type { Kafka } from 'kafkajs';

const BURST = Number(process.argv[2] ?? 5_000);
const PACED = Number(process.argv[3] ?? 300);
const RATE = Number(process.argv[4] ?? 50);
const POLL_MS = 5;

function event(tenantId: string): UsageEventInput {
  return {
    id: randomUUID(),
    type: 'llm.usage',
    version: 1,
    occurredAt: new Date().toISOString(),
    tenantId,
    payload: {
      requestId: `bench-${randomUUID()}`,
      apiKeyId: randomUUID(),
      model: 'bench-model',
      inputTokens: 120,
      cachedTokens: 30,
      outputTokens: 40,
      costMicros: 95,
      currency: 'USD',
      latencyMs: 300,
      status: 'completed',
      cached: false,
    },
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function groupAtTheEnd(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: USAGE_TOPIC.name }] });
  const ends = await admin.fetchTopicOffsets(USAGE_TOPIC.name);
  await admin.setOffsets({
    groupId,
    topic: USAGE_TOPIC.name,
    partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
  });
  await admin.disconnect();
}

/** A compiled ledger whose consumer group starts at the topic's end. */
async function startLedger(kafka: Kafka, databaseUrl: string, batchSize: number): Promise<ServiceProcess> {
  const group = `ledger-bench-${randomUUID().slice(0, 8)}`;
  await groupAtTheEnd(kafka, `${group}.usage`);
  return ServiceProcess.start({
    app: 'ledger',
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: infraEnv().redisUrl,
      LEDGER_CONSUMER_GROUP: group,
      LEDGER_BATCH_SIZE: String(batchSize),
      METRICS_PORT: String(await freePort()),
      LEDGER_RECONCILE_INTERVAL_MS: '600000',
    },
  });
}

async function main(): Promise<void> {
  const logger = createLogger({ service: 'ledger-bench', level: 'error' });
  const infra = infraEnv();
  const kafka = createKafkaClient({ clientId: 'ledger-bench', brokers: infra.kafkaBrokers, logger });
  const db = await createTestDatabase();
  const producer = new EventProducer({ kafka });
  await producer.connect();
  const count = async (tenantId: string) => db.prisma.usageEvent.count({ where: { tenantId } });

  /** Seconds until a burst of BURST events is stored by a ledger writing `batchSize` per transaction. */
  async function burstSeconds(batchSize: number): Promise<{ seconds: number; publishSeconds: number }> {
    const ledger = await startLedger(kafka, db.url, batchSize);
    try {
      // Warm-up: connections and the consumer's assignment.
      const warm = randomUUID();
      await producer.publish(
        USAGE_TOPIC,
        Array.from({ length: 200 }, () => event(warm)),
      );
      while ((await count(warm)) < 200) await sleep(50);
      const tenant = randomUUID();
      const burst = Array.from({ length: BURST }, () => event(tenant));
      const started = performance.now();
      for (let i = 0; i < burst.length; i += 500)
        await producer.publish(USAGE_TOPIC, burst.slice(i, i + 500));
      const published = performance.now();
      while ((await count(tenant)) < BURST) await sleep(20);
      return { seconds: (performance.now() - started) / 1000, publishSeconds: (published - started) / 1000 };
    } finally {
      await ledger.stop();
    }
  }

  // 1. Burst rate: one transaction per event, then batches (each ledger its own group at the end).
  const single = await burstSeconds(1);
  const batched = await burstSeconds(100);
  const ledger = await startLedger(kafka, db.url, 100);
  // The delay peer: a bare consumer of the same topic, started at its end.
  const peerGroup = `ledger-bench-peer-${randomUUID().slice(0, 8)}`;
  await groupAtTheEnd(kafka, peerGroup);
  const peer = kafka.consumer({ groupId: peerGroup, maxWaitTimeInMs: 10 });
  const delivered = new Map<string, number>();
  await peer.connect();
  await peer.subscribe({ topic: USAGE_TOPIC.name });
  await peer.run({
    eachMessage: async ({ message }) => {
      const id = message.headers?.['event-id']?.toString();
      if (id) delivered.set(id, performance.now());
    },
  });
  try {
    // Warm-up: the ledger's consumer assignment, the peer's.
    const warm = randomUUID();
    await producer.publish(
      USAGE_TOPIC,
      Array.from({ length: 200 }, () => event(warm)),
    );
    while ((await count(warm)) < 200 || ![...delivered.keys()].length) await sleep(50);

    const direct = randomUUID();
    const rows = Array.from({ length: BURST }, () => event(direct)).map((e) => ({
      id: e.id,
      requestId: e.payload.requestId,
      tenantId: direct,
      apiKeyId: e.payload.apiKeyId,
      model: e.payload.model,
      inputTokens: e.payload.inputTokens,
      cachedTokens: e.payload.cachedTokens,
      outputTokens: e.payload.outputTokens,
      costMicros: BigInt(e.payload.costMicros),
      latencyMs: e.payload.latencyMs,
      status: e.payload.status,
      occurredAt: new Date(e.occurredAt),
    }));
    const directStarted = performance.now();
    for (let i = 0; i < rows.length; i += 500)
      await db.prisma.usageEvent.createMany({ data: rows.slice(i, i + 500) });
    const directSeconds = (performance.now() - directStarted) / 1000;

    // 2. Publication → queryable, paced.
    const pacedTenant = randomUUID();
    const sentAt = new Map<string, number>();
    const storedAt = new Map<string, number>();
    let polling = true;
    const poller = (async () => {
      while (polling || storedAt.size < sentAt.size) {
        const pending = [...sentAt.keys()].filter((id) => !storedAt.has(id));
        if (pending.length > 0) {
          const found = await db.prisma.usageEvent.findMany({
            where: { id: { in: pending } },
            select: { id: true },
          });
          const now = performance.now();
          for (const { id } of found) storedAt.set(id, now);
        }
        await sleep(POLL_MS);
      }
    })();
    for (let i = 0; i < PACED; i++) {
      const e = event(pacedTenant);
      sentAt.set(e.id, performance.now());
      await producer.publish(USAGE_TOPIC, e);
      await sleep(1000 / RATE);
    }
    polling = false;
    await poller;
    const ledgerDelays = [...sentAt].map(([id, at]) => storedAt.get(id)! - at).sort((a, b) => a - b);
    while ([...sentAt.keys()].some((id) => !delivered.has(id))) await sleep(20);
    const peerDelays = [...sentAt].map(([id, at]) => delivered.get(id)! - at).sort((a, b) => a - b);

    console.log(
      `\nledger ingestion (${BURST} events in one burst, published in ${batched.publishSeconds.toFixed(2)} s)`,
    );
    console.table({
      'ledger, LEDGER_BATCH_SIZE=1 (one tx per event)': {
        seconds: single.seconds.toFixed(2),
        'events/s': Math.round(BURST / single.seconds),
      },
      'ledger, LEDGER_BATCH_SIZE=100 (default)': {
        seconds: batched.seconds.toFixed(2),
        'events/s': Math.round(BURST / batched.seconds),
      },
      'peer: createMany straight into PostgreSQL': {
        seconds: directSeconds.toFixed(2),
        'events/s': Math.round(BURST / directSeconds),
      },
    });
    console.log(`publication → queryable (${PACED} events at ${RATE}/s, polled every ${POLL_MS} ms)`);
    console.table({
      'ledger: row queryable in PostgreSQL': {
        'p50 ms': percentile(ledgerDelays, 50).toFixed(1),
        'p99 ms': percentile(ledgerDelays, 99).toFixed(1),
        'max ms': ledgerDelays.at(-1)!.toFixed(1),
      },
      'peer: bare consumer received it': {
        'p50 ms': percentile(peerDelays, 50).toFixed(1),
        'p99 ms': percentile(peerDelays, 99).toFixed(1),
        'max ms': peerDelays.at(-1)!.toFixed(1),
      },
    });
  } finally {
    await peer.disconnect();
    await producer.disconnect();
    await ledger.stop();
    await db.drop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
