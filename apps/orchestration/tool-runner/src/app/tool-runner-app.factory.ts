// Owns building a running tool runner from its config: the Nest gRPC microservice serving
// ToolRunnerService and grpc.health.v1, whose modules check the policy (a bad file fails while the
// module is built) and open every outside connection (see tool-runner.module.ts) before the port
// opens. A failed connection rejects, after closing what had opened. main.ts and the medium specs
// both start the tool runner through here.
import type { ToolRunnerConfig } from '@hearth/config';
import { grpcTransportOptions, PROTO_PACKAGES } from '@hearth/contracts';

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';

import type { ToolRunnerDependencies } from './tool-runner.constants';
import { ToolRunnerModule } from './tool-runner.module';

export interface ToolRunnerApp {
  app: INestMicroservice;
  /** host:port the gRPC server listens on. */
  address: string;
  close(): Promise<void>;
}

export interface CreateToolRunnerOptions extends Omit<ToolRunnerDependencies, 'config'> {
  /** Nest's own log lines; silent when omitted (ours go through `logger`). */
  nestLogger?: LoggerService | false;
}

export async function createToolRunnerApp(
  config: ToolRunnerConfig,
  options: CreateToolRunnerOptions,
): Promise<ToolRunnerApp> {
  const { nestLogger, ...dependencies } = options;
  const address = `${config.grpc.host}:${config.grpc.port}`;
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    ToolRunnerModule.forRoot({ config, ...dependencies }),
    {
      transport: Transport.GRPC,
      options: grpcTransportOptions([PROTO_PACKAGES.toolsV1, PROTO_PACKAGES.healthV1], address),
      logger: nestLogger ?? false,
      // Throw start-up errors to the caller (main.ts logs them and exits 1) instead of exiting here.
      abortOnError: false,
    },
  );
  try {
    // Runs every module's onModuleInit (connections, in dependency order), then binds the port.
    await app.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  options.logger.info({ address }, 'tool runner listening');
  return { app, address, close: () => app.close() };
}
