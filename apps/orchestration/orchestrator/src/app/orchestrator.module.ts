// The orchestrator's root module. Its outside connections are modules of their own, so Nest opens them
// while the application initialises, before the orchestrator's own background work (see
// orchestrator.lifecycle.ts), and closes them in reverse after it stops: PostgreSQL (global DbModule:
// first up, last down), Redis (pinged), the Kafka producer and the outbox relay that publishes the
// audit events turns commit, and the gRPC clients of the model gateway, the context, safety and tool
// services (lazy channels; every call has a deadline).
// Tests replace an adapter by passing their own modules (see `adapters`).
import { GlobalValuesModule } from '@hearth/config';
import { GrpcHealthModule } from '@hearth/contracts';
import { ConversationNotFoundError, DbModule, isTransientDbError } from '@hearth/db';
import { EventProducerModule } from '@hearth/events';
import { GrpcError, grpcServerProviders, notFound } from '@hearth/grpc';
import { RedisModule } from '@hearth/redis';
import type { Logger } from '@hearth/telemetry';
import { OutboxRelayModule } from '@hearth/transactional-events';

import { status } from '@grpc/grpc-js';
import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';

import { upstreamClientModules } from '../clients/upstream.clients';
import {
  ORCHESTRATOR_CONFIG,
  ORCHESTRATOR_LOGGER,
  type OrchestratorDependencies,
} from './orchestrator.constants';
import { OrchestratorController } from './orchestrator.controller';
import { OrchestratorLifecycle } from './orchestrator.lifecycle';
import { orchestratorProviders } from './orchestrator.providers';

const CONNECT_TIMEOUT_MS = 10_000;
// Every Redis command is on a turn's path: none may wait longer than this.
const REDIS_COMMAND_TIMEOUT_MS = 2_000;
const RELAY_POLL_MS = 200;

type Imports = NonNullable<ModuleMetadata['imports']>;

/** Retry hint while PostgreSQL is away (a restart or failover takes seconds). */
const DATABASE_RETRY_AFTER_MS = 2_000;

/** Upstream statuses a caller of the orchestrator gets as they are. */
const UPSTREAM_PASSED_ON = [
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
  status.RESOURCE_EXHAUSTED,
  status.DEADLINE_EXCEEDED,
  status.UNAVAILABLE,
];

/** PostgreSQL, Redis, Kafka (producer and outbox relay) and the gRPC upstreams, from the config. */
export function orchestratorAdapters({ config }: OrchestratorDependencies): Imports {
  const producer = EventProducerModule.forRootAsync({
    inject: [ORCHESTRATOR_LOGGER],
    useFactory: (logger: Logger) => ({
      clientId: 'orchestrator',
      brokers: config.kafkaBrokers,
      logger,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      sendTimeoutMs: 15_000,
    }),
  });
  return [
    DbModule.forRootAsync({
      inject: [ORCHESTRATOR_LOGGER],
      useFactory: (logger: Logger) => ({
        databaseUrl: config.databaseUrl,
        maxConnections: config.databasePoolSize,
        applicationName: 'orchestrator',
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        onPoolError: (error: Error) => logger.warn({ err: error }, 'idle database connection failed'),
      }),
    }),
    RedisModule.forRootAsync({
      inject: [ORCHESTRATOR_LOGGER],
      useFactory: (logger: Logger) => ({
        url: config.redisUrl,
        name: 'Redis',
        logger,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
      }),
    }),
    OutboxRelayModule.forRootAsync({
      imports: [producer],
      inject: [ORCHESTRATOR_LOGGER],
      useFactory: (logger: Logger) => ({ logger, pollIntervalMs: RELAY_POLL_MS }),
    }),
    ...upstreamClientModules(config.upstreams),
  ];
}

export interface OrchestratorModuleOptions extends OrchestratorDependencies {
  /** The outside connections; `orchestratorAdapters(…)` unless a test swaps one. */
  readonly adapters?: Imports;
}

@Module({})
export class OrchestratorModule {
  static forRoot(options: OrchestratorModuleOptions): DynamicModule {
    return {
      module: OrchestratorModule,
      imports: [
        GlobalValuesModule.forRoot([
          [ORCHESTRATOR_CONFIG, options.config],
          [ORCHESTRATOR_LOGGER, options.logger],
        ]),
        ...(options.adapters ?? orchestratorAdapters(options)),
        GrpcHealthModule,
      ],
      controllers: [OrchestratorController],
      providers: [
        // @hearth/db's missing conversation is NOT_FOUND; PostgreSQL away (not the statement's fault)
        // is UNAVAILABLE with a retry hint, so callers retry or tell their client to, never INTERNAL.
        // An upstream's status that reaches a handler (the tool runner listing tools before a turn,
        // the context service after a committed change) is passed on when it is the caller's
        // business, UNAVAILABLE otherwise.
        ...grpcServerProviders({
          useFactory: (logger: Logger) => ({
            logger,
            domain: options.config.service,
            upstreamErrors: { passOn: UPSTREAM_PASSED_ON, otherwise: status.UNAVAILABLE },
            translate: (exception: unknown) =>
              exception instanceof ConversationNotFoundError
                ? notFound('CONVERSATION_NOT_FOUND', 'conversation not found')
                : isTransientDbError(exception)
                  ? new GrpcError(status.UNAVAILABLE, 'DATABASE_UNAVAILABLE', 'the database is unavailable', {
                      retryAfterMs: DATABASE_RETRY_AFTER_MS,
                    })
                  : undefined,
          }),
          inject: [ORCHESTRATOR_LOGGER],
        }),
        ...orchestratorProviders,
        OrchestratorLifecycle,
      ],
    };
  }
}
