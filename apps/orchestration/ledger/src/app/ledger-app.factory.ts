// Builds and starts the ledger from its config: PostgreSQL and Kafka checked at start-up (either one
// down stops the process), one deduplicating consumer per topic (usage, audit) writing through the
// LedgerWriter, the metrics endpoint, then grpc.health.v1, which reports SERVING only once both
// consumers run. main.ts and the medium spec both start it this way.
import type { LedgerConfig } from '@hearth/config';
import { GrpcHealthService, grpcTransportOptions, healthV1, PROTO_PACKAGES } from '@hearth/contracts';
import { createPrismaClient, type PrismaClient } from '@hearth/db';
import {
  AUDIT_TOPIC,
  createKafkaClient,
  EventProducer,
  USAGE_TOPIC,
  type EventOf,
  type EventTopic,
} from '@hearth/events';
import { withDeadline, type Logger } from '@hearth/telemetry';
import { EventConsumer, type EventHandler } from '@hearth/transactional-events';

import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { Kafka } from 'kafkajs';

import { isPoisonWrite } from '../ledger/ledger-write.error';
import { LedgerWriter } from '../ledger/ledger.writer';
import { ConsumerLagProbe } from '../metrics/consumer-lag.probe';
import { LedgerMetrics } from '../metrics/ledger.metrics';
import { startMetricsServer, type MetricsHttpServer } from '../metrics/metrics-http.server';
import { LedgerModule } from './ledger.module';

const CONNECT_TIMEOUT_MS = 15_000;
/** The overall status ('' in grpc.health.v1): the ledger has no named gRPC service. */
const OVERALL = '';

export interface RunningLedgerApp {
  readonly app: INestMicroservice;
  readonly address: string;
  readonly metricsPort: number;
  close(): Promise<void>;
}

export interface LedgerAppHooks {
  /** A consumer stopped for good (kafkajs gave up): the process should exit and be restarted. */
  onFatal(error: Error): void;
}

export async function startLedgerApp(
  config: LedgerConfig,
  logger: Logger,
  hooks: LedgerAppHooks,
): Promise<RunningLedgerApp> {
  const prisma = createPrismaClient(config.databaseUrl, {
    transactionOptions: { maxWait: config.writeTimeoutMs, timeout: config.writeTimeoutMs },
  });
  const kafka = createKafkaClient({ clientId: config.service, brokers: [...config.kafkaBrokers], logger });
  const deadLetters = new EventProducer({ kafka, connectTimeoutMs: CONNECT_TIMEOUT_MS });
  const probe = new ConsumerLagProbe(kafka);
  const consumers: RunningConsumer[] = [];
  let app: INestMicroservice | undefined;
  let metricsServer: MetricsHttpServer | undefined;

  const closeAll = async () => {
    await app?.close();
    // Stopping a consumer commits the offsets of what it has written.
    await Promise.allSettled(consumers.map((consumer) => consumer.stop()));
    await Promise.allSettled([deadLetters.disconnect(), probe.close(), metricsServer?.close()]);
    await prisma.$disconnect();
  };

  try {
    await withDeadline(CONNECT_TIMEOUT_MS, 'PostgreSQL connect', () => prisma.$queryRaw`SELECT 1`);
    await deadLetters.connect();
    await probe.connect();

    const metrics = new LedgerMetrics(probe, logger);
    app = await NestFactory.createMicroservice<MicroserviceOptions>(LedgerModule, {
      transport: Transport.GRPC,
      options: {
        ...grpcTransportOptions([PROTO_PACKAGES.healthV1], `${config.grpc.host}:${config.grpc.port}`),
        gracefulShutdown: true,
      },
      logger: false,
      abortOnError: false,
    });
    const health = app.get(GrpcHealthService);
    const writer = app.get(LedgerWriter);

    const onCrash = (topic: string) => (error: Error, restart: boolean) => {
      if (restart) {
        logger.warn({ err: error, topic }, 'ledger consumer crashed, kafkajs restarts it');
        return;
      }
      health.setStatus(OVERALL, healthV1.HealthCheckResponse_ServingStatus.NOT_SERVING);
      hooks.onFatal(error);
    };
    const usage: EventHandler<EventOf<typeof USAGE_TOPIC>> = async (event, { tx }) => {
      if ((await writer.writeUsage(tx, event)) === 'inserted') metrics.recordUsage(event.payload);
    };
    const audit: EventHandler<EventOf<typeof AUDIT_TOPIC>> = async (event, { tx }) => {
      await writer.writeAudit(tx, event);
    };
    consumers.push(
      consumerFor(kafka, prisma, deadLetters, config, logger, metrics, USAGE_TOPIC, 'usage', usage, onCrash),
      consumerFor(kafka, prisma, deadLetters, config, logger, metrics, AUDIT_TOPIC, 'audit', audit, onCrash),
    );
    for (const consumer of consumers) {
      await consumer.start();
      metrics.watchLag(consumer.subscription);
    }
    metricsServer = await startMetricsServer(metrics.registry, config.metrics);

    app.enableShutdownHooks();
    await app.listen();
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
  const address = `${config.grpc.host}:${config.grpc.port}`;
  logger.info(
    { address, metricsPort: metricsServer.port, groups: consumers.map((c) => c.subscription.groupId) },
    'ledger consuming',
  );

  let closed = false;
  return {
    app,
    address,
    metricsPort: metricsServer.port,
    async close() {
      if (closed) return;
      closed = true;
      await closeAll();
    },
  };
}

/** What the app needs of a consumer, whatever its topic. */
type RunningConsumer = Pick<EventConsumer<EventTopic>, 'start' | 'stop' | 'subscription'>;

function consumerFor<T extends EventTopic>(
  kafka: Kafka,
  prisma: PrismaClient,
  deadLetterProducer: EventProducer,
  config: LedgerConfig,
  logger: Logger,
  metrics: LedgerMetrics,
  topic: T,
  name: string,
  handler: EventHandler<EventOf<T>>,
  onCrash: (topic: string) => (error: Error, restart: boolean) => void,
): EventConsumer<T> {
  return new EventConsumer({
    kafka,
    prisma,
    topic,
    // One group per topic: their dedupe records and offsets never mix.
    groupId: `${config.consumerGroup}.${name}`,
    handler,
    logger,
    deadLetterProducer,
    fromBeginning: config.fromBeginning,
    transactionTimeoutMs: config.writeTimeoutMs,
    maxAttempts: config.maxAttempts,
    attemptBackoffMs: config.retryBackoffMs,
    // The database being down is never the event's fault: those failures wait, they are not counted.
    isPoison: isPoisonWrite,
    onOutcome: (outcome) => metrics.recordOutcome(outcome),
    onCrash: onCrash(topic.name),
  });
}
