// Owns building a running orchestrator from its config: the Nest gRPC microservice serving
// OrchestratorService and grpc.health.v1, whose modules connect PostgreSQL, Redis and Kafka and start
// the orchestrator's background work (see orchestrator.module.ts) before the port opens. Any failure
// at start-up rejects, after closing what had opened, so main.ts exits instead of serving half an
// orchestrator. main.ts, the medium specs and the benchmarks start the orchestrator through here.
import type { OrchestratorConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { OrchestratorModule } from './orchestrator.module';

export interface OrchestratorApp {
  app: INestMicroservice;
  /** host:port the gRPC server listens on. */
  address: string;
  close(): Promise<void>;
}

export interface CreateOrchestratorOptions {
  logger: Logger;
  /** Nest's own log lines; silent when omitted (ours go through `logger`). */
  nestLogger?: LoggerService | false;
}

export async function createOrchestratorApp(
  config: OrchestratorConfig,
  options: CreateOrchestratorOptions,
): Promise<OrchestratorApp> {
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    OrchestratorModule.forRoot({ config, logger: options.logger }),
    {
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.orchestratorV1, PROTO_PACKAGES.healthV1], address),
      logger: options.nestLogger ?? false,
      // Throw start-up errors to the caller (main.ts logs them and exits 1) instead of exiting here.
      abortOnError: false,
    },
  );
  try {
    // Runs every module's onModuleInit (connections first, then the background work), then binds the port.
    await app.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  options.logger.info({ address }, 'orchestrator listening');
  return { app, address, close: () => app.close() };
}
