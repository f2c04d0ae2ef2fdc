// Builds and starts the safety service from its config: loads and validates the policies, connects
// Redis (the audit spool) and the Kafka producer for audit events (failing start-up if either is
// unreachable), picks the moderation adapter (a guard model through the gateway when
// SAFETY_GUARD_MODEL is set, else the rules), and serves the SafetyService and the standard health
// service over gRPC. main.ts and the medium spec both start it this way.

import { workspacePath, type SafetyServiceConfig } from '@hearth/config';
import {
  GrpcHealthService,
  grpcTransportOptions,
  healthV1,
  PROTO_PACKAGES,
  qualifiedServiceName,
  safetyV1,
} from '@hearth/contracts';
import { createKafkaClient, EventProducer, EventSpool, SpooledEventPublisher } from '@hearth/events';
import { connectRedis, createRedisClient } from '@hearth/redis';
import type { Logger } from '@hearth/telemetry';

import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { SpooledAuditSink } from '../audit/spooled-audit.sink';
import { ModelGatewayClient } from '../gateway/model-gateway.client';
import { GuardModelModerationAdapter } from '../moderation/guard-model-moderation.adapter';
import type { ModerationPort } from '../moderation/moderation.port';
import { RuleModerationAdapter } from '../moderation/rule-moderation.adapter';
import { loadPolicies } from '../policy/policy.loader';
import { SafetyModule } from './safety.module';

/** The policies shipped with the app, used when SAFETY_POLICY_DIR is not set. */
export const BUNDLED_POLICY_DIR = workspacePath('apps', 'orchestration', 'safety-service', 'policies');

const REDIS_TIMEOUT_MS = 5_000;

/** gRPC headroom over the input limit, so oversized input reaches our clear INVALID_ARGUMENT check. */
const MESSAGE_OVERHEAD_BYTES = 1024 * 1024;

export interface RunningSafetyApp {
  readonly app: INestMicroservice;
  readonly address: string;
  readonly auditSink: SpooledAuditSink;
  close(): Promise<void>;
}

export async function startSafetyApp(config: SafetyServiceConfig, logger: Logger): Promise<RunningSafetyApp> {
  const policyDir = config.policyDir ?? BUNDLED_POLICY_DIR;
  const policies = loadPolicies(policyDir);
  logger.info({ policyDir, tenants: policies.size }, 'safety policies loaded');

  const redisStops: (() => void)[] = [];
  const redis = createRedisClient(config.redisUrl, {
    connectTimeoutMs: REDIS_TIMEOUT_MS,
    commandTimeoutMs: REDIS_TIMEOUT_MS,
  });
  await connectRedis(redis, { name: 'Redis', timeoutMs: REDIS_TIMEOUT_MS, logger, stops: redisStops });
  const kafka = createKafkaClient({ clientId: config.service, brokers: [...config.kafkaBrokers], logger });
  const producer = new EventProducer({ kafka, connectTimeoutMs: 10_000, sendTimeoutMs: 10_000 });
  await producer.connect();
  const publisher = new SpooledEventPublisher({
    producer,
    spool: new EventSpool({ redis, name: config.service }),
    logger,
  });
  publisher.start();
  const auditSink = new SpooledAuditSink({ publisher, logger });
  const rules = new RuleModerationAdapter();
  const gateway = config.guard ? new ModelGatewayClient(config.guard.gatewayAddress) : undefined;
  const moderation: ModerationPort =
    config.guard && gateway
      ? new GuardModelModerationAdapter({
          gateway,
          model: config.guard.model,
          timeoutMs: config.guard.timeoutMs,
          fallback: rules,
          logger,
        })
      : rules;
  logger.info(
    config.guard
      ? { moderation: 'guard', model: config.guard.model, gateway: config.guard.gatewayAddress }
      : { moderation: 'rules' },
    'moderation adapter chosen',
  );

  const address = `${config.grpc.host}:${config.grpc.port}`;
  const maxMessageBytes = config.maxInputBytes * 2 + MESSAGE_OVERHEAD_BYTES;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    SafetyModule.register({
      policies,
      auditSink,
      logger,
      limits: { maxInputBytes: config.maxInputBytes },
      moderation,
    }),
    {
      transport: Transport.GRPC,
      options: {
        ...grpcTransportOptions([PROTO_PACKAGES.safetyV1, PROTO_PACKAGES.healthV1], address),
        maxReceiveMessageLength: maxMessageBytes,
        maxSendMessageLength: maxMessageBytes,
        gracefulShutdown: true,
      },
      logger: false,
      // Throw start-up errors to the caller (logged and exit 1 in main.ts) instead of exiting silently.
      abortOnError: false,
    },
  );
  app.enableShutdownHooks();
  await app.listen();
  app
    .get(GrpcHealthService)
    .setStatus(
      qualifiedServiceName(PROTO_PACKAGES.safetyV1, safetyV1.SAFETY_SERVICE_NAME),
      healthV1.HealthCheckResponse_ServingStatus.SERVING,
    );
  logger.info({ address }, 'safety service listening');

  let closed = false;
  return {
    app,
    address,
    auditSink,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await auditSink.close();
      await publisher.stop();
      await producer.disconnect();
      for (const stop of redisStops) stop();
      gateway?.close();
    },
  };
}
