// Owns building a running tool runner from its config: the runtime first (policy validated, every
// outside connection checked), then the Nest gRPC microservice serving ToolRunnerService and
// grpc.health.v1 on it, behind the shared gRPC edge (exception filter, server hooks). main.ts and the
// medium specs both start the tool runner through here.
import type { ToolRunnerConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';
import { useGrpcServerEdge } from '@hearth/grpc';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import { ToolRunnerModule } from './tool-runner.module';
import { ToolRunnerRuntime, type ToolRunnerRuntimeOptions } from './tool-runner.runtime';

export interface ToolRunnerApp {
  app: INestMicroservice;
  runtime: ToolRunnerRuntime;
  /** host:port the gRPC server listens on. */
  address: string;
  close(): Promise<void>;
}

export interface CreateToolRunnerOptions extends ToolRunnerRuntimeOptions {
  /** Nest's own log lines; silent when omitted (ours go through `logger`). */
  nestLogger?: LoggerService | false;
}

export async function createToolRunnerApp(
  config: ToolRunnerConfig,
  options: CreateToolRunnerOptions,
): Promise<ToolRunnerApp> {
  const runtime = new ToolRunnerRuntime(config, options);
  await runtime.start();
  const address = `${config.grpc.host}:${config.grpc.port}`;
  let app: INestMicroservice;
  try {
    app = await NestFactory.createMicroservice<MicroserviceOptions>(ToolRunnerModule.forRuntime(runtime), {
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.toolsV1, PROTO_PACKAGES.healthV1], address),
      logger: options.nestLogger ?? false,
      abortOnError: false,
    });
    useGrpcServerEdge(app, { logger: options.logger, domain: config.service });
    await app.listen();
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  options.logger.info({ address }, 'tool runner listening');
  return { app, runtime, address, close: () => app.close() };
}
