// Owns building a running gateway from its config: the runtime first (every outside connection
// checked), then the Nest gRPC microservice serving ModelGatewayService and grpc.health.v1 on it,
// behind the shared gRPC edge (exception filter, server hooks).
// main.ts and the medium specs both start the gateway through here.
import type { ModelGatewayConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import { useGrpcServerEdge } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import type { DnsLookup } from '../workers/worker-endpoint.resolver';
import { GatewayModule } from './gateway.module';
import { GatewayRuntime } from './gateway.runtime';

export interface GatewayApp {
  app: INestMicroservice;
  runtime: GatewayRuntime;
  /** host:port the gRPC server listens on. */
  address: string;
  close(): Promise<void>;
}

export interface CreateGatewayOptions {
  logger: Logger;
  /** Nest's own log lines; silent when omitted (ours go through `logger`). */
  nestLogger?: LoggerService | false;
  dnsLookup?: DnsLookup;
}

export async function createGatewayApp(
  config: ModelGatewayConfig,
  options: CreateGatewayOptions,
): Promise<GatewayApp> {
  const runtime = new GatewayRuntime(config, { logger: options.logger, dnsLookup: options.dnsLookup });
  await runtime.start();
  const address = `${config.grpc.host}:${config.grpc.port}`;
  let app: INestMicroservice;
  try {
    app = await NestFactory.createMicroservice<MicroserviceOptions>(GatewayModule.forRuntime(runtime), {
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.gatewayV1, PROTO_PACKAGES.healthV1], address),
      logger: options.nestLogger ?? false,
    });
    useGrpcServerEdge(app, { logger: options.logger, domain: config.service });
    await app.listen();
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  options.logger.info({ address }, 'model gateway listening');
  return { app, runtime, address, close: () => app.close() };
}
