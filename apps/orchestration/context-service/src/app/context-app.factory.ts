// Owns building a running context service from its config: the runtime first (PostgreSQL and Redis
// checked), then the Nest gRPC microservice serving ContextService and grpc.health.v1 on it.
// main.ts and the medium specs both start the service through here.
import type { ContextServiceConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { ContextExceptionFilter } from './context-exception.filter';
import { ContextModule } from './context.module';
import { ContextRuntime } from './context.runtime';

export interface ContextApp {
  app: INestMicroservice;
  runtime: ContextRuntime;
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
  const runtime = new ContextRuntime(config, options.logger);
  await runtime.start();
  const address = `${config.grpc.host}:${config.grpc.port}`;
  let app: INestMicroservice;
  try {
    app = await NestFactory.createMicroservice<MicroserviceOptions>(ContextModule.forRuntime(runtime), {
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.contextV1, PROTO_PACKAGES.healthV1], address),
      logger: options.nestLogger ?? false,
    });
    app.useGlobalFilters(new ContextExceptionFilter(options.logger));
    await app.listen();
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  options.logger.info({ address }, 'context service listening');
  return { app, runtime, address, close: () => app.close() };
}
