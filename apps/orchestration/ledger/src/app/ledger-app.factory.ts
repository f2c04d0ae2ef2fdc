// Builds and starts the ledger from its config: PostgreSQL, Kafka and Redis checked at start-up (any
// one down stops the process), the metrics endpoint, then the Nest app, whose LedgerConsumers start
// before grpc.health.v1 listens (so SERVING means both consumers run). main.ts and the medium specs
// start it this way; close() stops the consumers first, so their offsets are committed.
import type { LedgerConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import { createPrismaClient } from '@hearth/db';
import { createKafkaClient, EventProducer } from '@hearth/events';
import { connectRedis, createRedisClient } from '@hearth/redis';
import {
  sharedMetricsRegistry,
  startMetricsServer,
  withDeadline,
  type Logger,
  type MetricsHttpServer,
} from '@hearth/telemetry';

import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { ConsumerLagProbe } from '../metrics/consumer-lag.probe';
import { LedgerMetrics } from '../metrics/ledger.metrics';
import { LedgerConsumers } from './ledger-consumers.service';
import { LedgerModule } from './ledger.module';

const CONNECT_TIMEOUT_MS = 15_000;

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
  const redis = createRedisClient(config.redisUrl, { connectTimeoutMs: 5_000, commandTimeoutMs: 2_000 });
  const redisStops: Array<() => void> = [];
  let app: INestMicroservice | undefined;
  let metricsServer: MetricsHttpServer | undefined;

  const closeAll = async () => {
    await app?.close();
    await Promise.allSettled([deadLetters.disconnect(), probe.close(), metricsServer?.close()]);
    for (const stop of redisStops) stop();
    await prisma.$disconnect();
  };

  const address = `${config.grpc.host}:${config.grpc.port}`;
  try {
    await withDeadline(CONNECT_TIMEOUT_MS, 'PostgreSQL connect', () => prisma.$queryRaw`SELECT 1`);
    await deadLetters.connect();
    await probe.connect();
    await connectRedis(redis, { name: 'Redis', timeoutMs: CONNECT_TIMEOUT_MS, logger, stops: redisStops });
    const metrics = new LedgerMetrics(probe, logger);
    metricsServer = await startMetricsServer([metrics.registry, sharedMetricsRegistry()], config.metrics);

    app = await NestFactory.createMicroservice<MicroserviceOptions>(
      LedgerModule.register({
        config,
        logger,
        prisma,
        kafka,
        deadLetters,
        metrics,
        redis,
        probe,
        onFatal: hooks.onFatal,
      }),
      {
        transport: Transport.GRPC,
        options: { ...grpcTransportOptions([PROTO_PACKAGES.healthV1], address), gracefulShutdown: true },
        logger: false,
        // Throw start-up errors to the caller (logged and exit 1 in main.ts) instead of exiting silently.
        abortOnError: false,
      },
    );
    app.enableShutdownHooks();
    await app.listen();
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
  logger.info(
    { address, metricsPort: metricsServer.port, groups: app.get(LedgerConsumers).groups },
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
