// Owns building a running orchestrator from its config: the runtime first (every outside connection
// checked), then the Nest gRPC microservice serving OrchestratorService and grpc.health.v1 on it,
// behind the shared gRPC edge (exception filter, server hooks; @hearth/db's missing conversation is
// NOT_FOUND).
// main.ts, the medium specs and the benchmark start the orchestrator through here.
import type { OrchestratorConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import { ConversationNotFoundError } from '@hearth/db';
import { notFound, useGrpcServerEdge } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { OrchestratorModule } from './orchestrator.module';
import { OrchestratorRuntime } from './orchestrator.runtime';

export interface OrchestratorApp {
  app: INestMicroservice;
  runtime: OrchestratorRuntime;
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
  const runtime = new OrchestratorRuntime(config, { logger: options.logger });
  await runtime.start();
  const address = `${config.grpc.host}:${config.grpc.port}`;
  let app: INestMicroservice;
  try {
    app = await NestFactory.createMicroservice<MicroserviceOptions>(OrchestratorModule.forRuntime(runtime), {
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.orchestratorV1, PROTO_PACKAGES.healthV1], address),
      logger: options.nestLogger ?? false,
    });
    useGrpcServerEdge(app, {
      logger: options.logger,
      domain: config.service,
      translate: (exception) =>
        exception instanceof ConversationNotFoundError
          ? notFound('CONVERSATION_NOT_FOUND', 'conversation not found')
          : undefined,
    });
    await app.listen();
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  options.logger.info({ address }, 'orchestrator listening');
  return { app, runtime, address, close: () => app.close() };
}
