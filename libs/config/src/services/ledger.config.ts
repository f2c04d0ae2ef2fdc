// Ledger: where usage and audit events come from (Kafka, its consumer groups), where they go
// (PostgreSQL), the Redis of the live budget counters it reconciles, how often a failing event is retried before it is dead-lettered, and the metrics port.
import { z } from 'zod';

import {
  baseEnv,
  databaseEnv,
  grpcServerEnv,
  kafkaEnv,
  positiveInt,
  redisEnv,
  toBase,
  toGrpcServer,
} from '../env-fields';

export const ledgerConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    ...databaseEnv,
    ...kafkaEnv,
    /** Live budget counters and limits (the gateway's Redis), reconciled with the ledger. */
    ...redisEnv,
    /** gRPC health only: the ledger serves no API of its own; probes and `npm start` ask it. */
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50058),
    /** Prefix of the consumer groups (`<prefix>.usage`, `<prefix>.audit`) and of their dedupe records. */
    LEDGER_CONSUMER_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, dot, underscore and dash')
      .default('ledger'),
    /**
     * Where a group with no committed offset starts: `earliest` (default: events published before
     * the ledger's first start are not lost) or `latest`.
     */
    LEDGER_START_FROM: z.enum(['earliest', 'latest']).default('earliest'),
    /** Tries of a valid event whose write fails before it goes to the dead-letter topic. */
    LEDGER_MAX_ATTEMPTS: positiveInt().default(3),
    /** Pause before the second try, doubled before each further one. */
    LEDGER_RETRY_BACKOFF_MS: positiveInt().default(200),
    /** Deadline of one write transaction (a batch of events, or one). */
    LEDGER_WRITE_TIMEOUT_MS: positiveInt().default(10_000),
    /** Events of a partition written in one transaction (1: a transaction per event). */
    LEDGER_BATCH_SIZE: positiveInt().default(100),
    /** Budget reconciliation: limits synced to Redis, counters compared with (and set back to) the ledger. */
    LEDGER_RECONCILE_INTERVAL_MS: positiveInt().default(60_000),
    /** Prometheus /metrics (counters, consumer lag) on this port; 0 lets the OS pick one. */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9467),
  })
  .transform((env) => ({
    ...toBase(env, 'ledger'),
    grpc: toGrpcServer(env),
    databaseUrl: env.DATABASE_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    redisUrl: env.REDIS_URL,
    reconcileIntervalMs: env.LEDGER_RECONCILE_INTERVAL_MS,
    consumerGroup: env.LEDGER_CONSUMER_GROUP,
    fromBeginning: env.LEDGER_START_FROM === 'earliest',
    maxAttempts: env.LEDGER_MAX_ATTEMPTS,
    retryBackoffMs: env.LEDGER_RETRY_BACKOFF_MS,
    writeTimeoutMs: env.LEDGER_WRITE_TIMEOUT_MS,
    batchSize: env.LEDGER_BATCH_SIZE,
    metrics: { host: env.GRPC_HOST, port: env.METRICS_PORT },
  }));

export type LedgerConfig = z.output<typeof ledgerConfigSchema>;
