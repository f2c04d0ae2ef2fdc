// The tool runner's root module. Its outside connections are modules of their own, so Nest opens them
// in dependency order while the application initialises and closes them in reverse at shutdown:
// PostgreSQL (global DbModule: first up, last down), the Kafka producer, the outbox relay that
// publishes audit events through it, and the context service's client when one is configured.
// Tests replace an adapter by passing their own module (see `adapters`).
import { GlobalValuesModule, type ToolRunnerConfig } from '@hearth/config';
import { contextV1, GrpcHealthModule } from '@hearth/contracts';
import { DbModule } from '@hearth/db';
import { EventProducerModule } from '@hearth/events';
import { GrpcClientModule, grpcServerProviders } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';
import { OutboxRelayModule } from '@hearth/transactional-events';

import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';

import { ToolCallRepository } from '../execution/tool-call.repository';
import { ToolCallService } from '../execution/tool-call.service';
import {
  RETRIEVAL_CLIENT,
  TOOL_RUNNER_CONFIG,
  TOOL_RUNNER_LOGGER,
  type ToolRunnerDependencies,
} from './tool-runner.constants';
import { ToolRunnerController } from './tool-runner.controller';
import { toolRunnerProviders } from './tool-runner.providers';

const CONNECT_TIMEOUT_MS = 10_000;

type Imports = NonNullable<ModuleMetadata['imports']>;

/** PostgreSQL, Kafka (producer and outbox relay) and the context service's client, from the config. */
export function toolRunnerAdapters({ config, relayPollMs }: ToolRunnerDependencies): Imports {
  const producer = EventProducerModule.forRootAsync({
    inject: [TOOL_RUNNER_LOGGER],
    useFactory: (logger: Logger) => ({
      clientId: config.service,
      brokers: config.kafkaBrokers,
      logger,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      sendTimeoutMs: 15_000,
    }),
  });
  return [
    // The application name also picks the outbox notifications its relay wakes on.
    DbModule.forRoot({ databaseUrl: config.databaseUrl, maxConnections: 10, applicationName: 'tool-runner' }),
    producer,
    OutboxRelayModule.forRootAsync({
      imports: [producer],
      inject: [TOOL_RUNNER_LOGGER],
      useFactory: (logger: Logger) => ({ logger, pollIntervalMs: relayPollMs }),
    }),
    ...retrievalClient(config),
  ];
}

function retrievalClient(config: ToolRunnerConfig): Imports {
  const address = config.contextServiceAddress;
  if (!address) return [];
  return [
    GrpcClientModule.forClient({
      provide: RETRIEVAL_CLIENT,
      definition: contextV1.ContextServiceDefinition,
      useFactory: () => ({ address, upstream: 'context service' }),
    }),
  ];
}

export interface ToolRunnerModuleOptions extends ToolRunnerDependencies {
  /** The outside connections; `toolRunnerAdapters(…)` unless a test swaps one. */
  readonly adapters?: Imports;
}

@Module({})
export class ToolRunnerModule {
  static forRoot(options: ToolRunnerModuleOptions): DynamicModule {
    return {
      module: ToolRunnerModule,
      imports: [
        GlobalValuesModule.forRoot([
          [TOOL_RUNNER_CONFIG, options.config],
          [TOOL_RUNNER_LOGGER, options.logger],
        ]),
        ...(options.adapters ?? toolRunnerAdapters(options)),
        GrpcHealthModule,
      ],
      controllers: [ToolRunnerController],
      providers: [
        ...grpcServerProviders({
          useFactory: (logger: Logger) => ({ logger, domain: options.config.service }),
          inject: [TOOL_RUNNER_LOGGER],
        }),
        ...toolRunnerProviders,
        ToolCallRepository,
        ToolCallService,
      ],
    };
  }
}
