// Owns building a running gateway from its config: the Nest gRPC microservice serving
// ModelGatewayService and grpc.health.v1, whose modules load the registry (a bad file fails while the
// module is built), connect Redis and Kafka and start the worker pools (see gateway.module.ts) before
// the port opens. Any failure at start-up rejects, after closing what had opened, so main.ts exits
// instead of serving half a gateway. main.ts and the medium specs both start the gateway through here.
import type { ModelGatewayConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import type { Logger } from '@hearth/telemetry';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { GatewayModule } from './gateway.module';

export interface GatewayApp {
  app: INestMicroservice;
  /** host:port the gRPC server listens on. */
  address: string;
  close(): Promise<void>;
}

export interface CreateGatewayOptions {
  logger: Logger;
  /** Nest's own log lines; silent when omitted (ours go through `logger`). */
  nestLogger?: LoggerService | false;
}

export async function createGatewayApp(
  config: ModelGatewayConfig,
  options: CreateGatewayOptions,
): Promise<GatewayApp> {
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    GatewayModule.forRoot({ config, logger: options.logger }),
    {
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.gatewayV1, PROTO_PACKAGES.healthV1], address),
      logger: options.nestLogger ?? false,
      // Throw start-up errors to the caller (main.ts logs them and exits 1) instead of exiting here.
      abortOnError: false,
    },
  );
  try {
    // Runs every module's onModuleInit (connections first, then the pools), then binds the port.
    await app.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  options.logger.info({ address }, 'model gateway listening');
  return { app, address, close: () => app.close() };
}
