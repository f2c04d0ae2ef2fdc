// Builds and starts the safety service from its config: loads and validates the policies, connects
// the Kafka producer for audit events (failing start-up if it cannot), and serves the SafetyService
// and the standard health service over gRPC. main.ts and the medium spec both start it this way.

import { workspacePath, type SafetyServiceConfig } from '@hearth/config';
import {
  GrpcHealthService,
  grpcTransportOptions,
  healthV1,
  PROTO_PACKAGES,
  qualifiedServiceName,
  safetyV1,
} from '@hearth/contracts';
import { createKafkaClient, EventProducer } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { KafkaAuditSink } from '../audit/kafka-audit.sink';
import { loadPolicies } from '../policy/policy.loader';
import { SafetyModule } from './safety.module';

/** The policies shipped with the app, used when SAFETY_POLICY_DIR is not set. */
export const BUNDLED_POLICY_DIR = workspacePath('apps', 'orchestration', 'safety-service', 'policies');

/** gRPC headroom over the input limit, so oversized input reaches our clear INVALID_ARGUMENT check. */
const MESSAGE_OVERHEAD_BYTES = 1024 * 1024;

export interface RunningSafetyApp {
  readonly app: INestMicroservice;
  readonly address: string;
  readonly auditSink: KafkaAuditSink;
  close(): Promise<void>;
}

export async function startSafetyApp(config: SafetyServiceConfig, logger: Logger): Promise<RunningSafetyApp> {
  const policyDir = config.policyDir ?? BUNDLED_POLICY_DIR;
  const policies = loadPolicies(policyDir);
  logger.info({ policyDir, tenants: policies.size }, 'safety policies loaded');

  const kafka = createKafkaClient({ clientId: config.service, brokers: [...config.kafkaBrokers], logger });
  const producer = new EventProducer({ kafka, connectTimeoutMs: 10_000, sendTimeoutMs: 10_000 });
  await producer.connect();
  const auditSink = new KafkaAuditSink({ producer, logger });

  const address = `${config.grpc.host}:${config.grpc.port}`;
  const maxMessageBytes = config.maxInputBytes * 2 + MESSAGE_OVERHEAD_BYTES;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    SafetyModule.register({ policies, auditSink, logger, limits: { maxInputBytes: config.maxInputBytes } }),
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
      await producer.disconnect();
    },
  };
}
