// Owns how a process builds its kafkajs client: bounded connection/request timeouts and retries,
// kafkajs's own logging routed into our pino logger at warn (kafkajs is chatty at info), and the fix
// of kafkajs's idle timer loop (kafka-request-queue.fix.ts), installed before the first client.
import type { Logger } from '@hearth/telemetry';

import { Kafka, logLevel, type KafkaConfig, type logCreator, type RetryOptions } from 'kafkajs';

import { installKafkaRequestQueueFix } from './kafka-request-queue.fix';

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
  /** TCP connect deadline per broker. */
  connectionTimeoutMs?: number;
  /** Deadline for one protocol request. */
  requestTimeoutMs?: number;
  retry?: RetryOptions;
  /** kafkajs messages below this level are dropped; warn by default. */
  logLevel?: logLevel;
}

// kafkajs warns this on every idempotent producer whose retries are bounded. We bound them on
// purpose (an unbounded retry loop outlives every deadline); duplicates from a give-up-and-resend are
// absorbed by consumer-side dedupe, so the warning carries no information for us.
const EXPECTED_WARNINGS = [/Limiting retries for the idempotent producer/];

// Per-attempt connection chatter: kafkajs logs every refused connect or failed request at error and
// then retries it. What matters reaches our code as a thrown error (a failed publish, a consumer
// crash), which is logged there once, so these go to debug instead of flooding an outage's logs.
const RETRIED_NAMESPACES = new Set(['Connection', 'BrokerPool']);

export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      if (level === logLevel.WARN && EXPECTED_WARNINGS.some((pattern) => pattern.test(message))) return;
      const fields = { kafka: { namespace, ...extra } };
      if (RETRIED_NAMESPACES.has(namespace)) {
        logger.debug(fields, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
          logger.error(fields, message);
          break;
        case logLevel.WARN:
          logger.warn(fields, message);
          break;
        case logLevel.INFO:
          logger.info(fields, message);
          break;
        default:
          logger.debug(fields, message);
      }
    };
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  installKafkaRequestQueueFix();
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    enforceRequestTimeout: true,
    retry: options.retry ?? { initialRetryTime: 200, maxRetryTime: 5_000, retries: 5 },
    logLevel: options.logLevel ?? logLevel.WARN,
    logCreator: pinoLogCreator(options.logger),
  };
  return new Kafka(config);
}

/** `KAFKA_BROKERS=host:port,host:port` as kafkajs wants it. */
export function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS lists no broker');
  return brokers;
}
