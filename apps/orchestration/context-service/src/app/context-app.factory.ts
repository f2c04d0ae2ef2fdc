// Owns building a running context service from its config: the Nest gRPC microservice serving
// ContextService and grpc.health.v1, whose modules connect PostgreSQL and Redis and load the model
// vocabularies (see context.module.ts) before the port opens. Any failure at start-up rejects, after
// closing what had opened, so main.ts exits instead of serving half a service. main.ts and the
// medium specs both start the service through here.
import type { ContextServiceConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { ContextModule } from './context.module';

export interface ContextApp {
  app: INestMicroservice;
  /** host:port the gRPC server listens on. */
  address: string;
  close(): Promise<void>;
}

export interface CreateContextAppOptions {
  logger: Logger;
  /** Nest's own log lines; silent when omitted (ours go through `logger`). */
  nestLogger?: LoggerService | false;
}

export async function createContextApp(
  config: ContextServiceConfig,
  options: CreateContextAppOptions,
): Promise<ContextApp> {
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    ContextModule.forRoot({ config, logger: options.logger }),
    {
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.contextV1, PROTO_PACKAGES.healthV1], address),
      logger: options.nestLogger ?? false,
      // Throw start-up errors to the caller (main.ts logs them and exits 1) instead of exiting here.
      abortOnError: false,
    },
  );
  try {
    // Runs every module's onModuleInit (connections first, then the vocabularies), then binds the port.
    await app.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  options.logger.info({ address }, 'context service listening');
  return { app, address, close: () => app.close() };
}
