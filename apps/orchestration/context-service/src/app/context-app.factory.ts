// Owns building a running context service from its config: the runtime first (PostgreSQL and Redis
// checked), then the Nest gRPC microservice serving ContextService and grpc.health.v1 on it, behind
// the shared gRPC edge: the gateway's and the safety service's statuses that reach a handler are
// passed on when they are the caller's business, UNAVAILABLE otherwise; an index failure is ours.
// main.ts and the medium specs both start the service through here.
import type { ContextServiceConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import { GrpcError, useGrpcServerEdge } from '@hearth/grpc';
import { VectorStoreError } from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { ContextModule } from './context.module';
import { ContextRuntime } from './context.runtime';

// Upstream statuses that are the caller's business (a quota, an unknown model, a bad request).
const PASSED_ON = [
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.RESOURCE_EXHAUSTED,
  status.DEADLINE_EXCEEDED,
  status.UNAVAILABLE,
  status.PERMISSION_DENIED,
];

/** The index is ours: a bad request to it is our bug (INTERNAL), an unreachable Qdrant is UNAVAILABLE. */
function vectorStoreStatus(exception: unknown, logger: Logger): GrpcError | undefined {
  if (!(exception instanceof VectorStoreError)) return undefined;
  logger.error({ err: exception }, 'vector store call failed');
  return exception.code === status.UNAVAILABLE
    ? new GrpcError(status.UNAVAILABLE, 'VECTOR_STORE_UNAVAILABLE', 'vector store unavailable')
    : new GrpcError(status.INTERNAL, 'VECTOR_STORE_ERROR', 'vector store error');
}

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
    useGrpcServerEdge(app, {
      logger: options.logger,
      domain: config.service,
      upstreamErrors: { passOn: PASSED_ON, otherwise: status.UNAVAILABLE },
      translate: (exception) => vectorStoreStatus(exception, options.logger),
    });
    await app.listen();
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  options.logger.info({ address }, 'context service listening');
  return { app, runtime, address, close: () => app.close() };
}
