// Owns the ledger's two consumers: llm.usage.v1 into the usage ledger and llm.audit.v1 into the audit
// trail, each its own consumer group (`<LEDGER_CONSUMER_GROUP>.usage` / `.audit`, so their offsets and
// dedupe records never mix), with bounded tries and dead letters. They start before the gRPC server
// listens (health answers only once they run) and stop on close, committing what they wrote. A
// consumer kafkajs gives up on turns health to NOT_SERVING and calls onFatal (main.ts exits 1).
import type { LedgerConfig } from '@hearth/config';
import { GrpcHealthService, healthV1 } from '@hearth/contracts';
import type { PrismaClient } from '@hearth/db';
import { AUDIT_TOPIC, USAGE_TOPIC, type EventOf, type EventProducer, type EventTopic } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';
import { EventConsumer, type EventBatchHandler } from '@hearth/transactional-events';

import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';

import { isPoisonWrite } from '../ledger/ledger-write.error';
import { LedgerWriter } from '../ledger/ledger.writer';
import type { ConsumerLagProbe } from '../metrics/consumer-lag.probe';
import type { LedgerMetrics } from '../metrics/ledger.metrics';
import { LEDGER_OPTIONS } from './ledger.constants';

export interface LedgerModuleOptions {
  config: LedgerConfig;
  logger: Logger;
  prisma: PrismaClient;
  kafka: Kafka;
  deadLetters: EventProducer;
  metrics: LedgerMetrics;
  /** The live budget counters' Redis and the lag probe, for the budget reconciliation. */
  redis: Redis;
  probe: ConsumerLagProbe;
  /** A consumer stopped for good: the process should exit and be restarted. */
  onFatal(error: Error): void;
}

/** The overall status ('' in grpc.health.v1): the ledger has no named gRPC service. */
const OVERALL = '';

/** What the ledger needs of a consumer, whatever its topic. */
type RunningConsumer = Pick<EventConsumer<EventTopic>, 'start' | 'stop' | 'subscription'>;

@Injectable()
export class LedgerConsumers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumers: RunningConsumer[];

  constructor(
    @Inject(LEDGER_OPTIONS) private readonly options: LedgerModuleOptions,
    writer: LedgerWriter,
    private readonly health: GrpcHealthService,
  ) {
    const { metrics } = options;
    // A batch's rows in one statement; an event applied alone (a failed batch, retries) in its own.
    const usage: EventBatchHandler<EventOf<typeof USAGE_TOPIC>> = async (events, { tx, afterCommit }) => {
      const inserted = await writer.writeUsage(tx, events);
      // Counted once the rows are committed: a batch rolled back and applied again counts them once.
      afterCommit(() => inserted.forEach((event) => metrics.recordUsage(event.payload)));
    };
    const audit: EventBatchHandler<EventOf<typeof AUDIT_TOPIC>> = (events, { tx }) =>
      writer.writeAudit(tx, events);
    this.consumers = [this.consumer(USAGE_TOPIC, 'usage', usage), this.consumer(AUDIT_TOPIC, 'audit', audit)];
  }

  get groups(): string[] {
    return this.consumers.map((consumer) => consumer.subscription.groupId);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const consumer of this.consumers) {
      await consumer.start();
      this.options.metrics.watchLag(consumer.subscription);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // Stopping a consumer commits the offsets of what it has written.
    await Promise.allSettled(this.consumers.map((consumer) => consumer.stop()));
  }

  private consumer<T extends EventTopic>(
    topic: T,
    name: string,
    batchHandler: EventBatchHandler<EventOf<T>>,
  ): EventConsumer<T> {
    const { config, logger, prisma, kafka, deadLetters, metrics } = this.options;
    return new EventConsumer({
      kafka,
      prisma,
      topic,
      groupId: `${config.consumerGroup}.${name}`,
      handler: (event, context) => batchHandler([event], context),
      batchHandler,
      logger,
      deadLetterProducer: deadLetters,
      fromBeginning: config.fromBeginning,
      transactionTimeoutMs: config.writeTimeoutMs,
      batchSize: config.batchSize,
      maxAttempts: config.maxAttempts,
      attemptBackoffMs: config.retryBackoffMs,
      // The database being down is never the event's fault: those failures wait, they are not counted.
      isPoison: isPoisonWrite,
      onOutcome: (outcome) => metrics.recordOutcome(outcome),
      onCrash: (error, restart) => this.crashed(topic.name, error, restart),
    });
  }

  private crashed(topic: string, error: Error, restart: boolean): void {
    if (restart) {
      this.options.logger.warn({ err: error, topic }, 'ledger consumer crashed, kafkajs restarts it');
      return;
    }
    this.health.setStatus(OVERALL, healthV1.HealthCheckResponse_ServingStatus.NOT_SERVING);
    this.options.onFatal(error);
  }
}
