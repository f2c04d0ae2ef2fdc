// The context service's root module. Its outside connections are modules of their own, so Nest opens
// them while the application initialises, before the service's own start-up work (see
// context.lifecycle.ts), and closes them after it stops: PostgreSQL (global DbModule: first up, last
// down), Redis (pinged), the model gateway and the safety service (lazy channels: the gateway may
// start after us, and every call has a deadline), the blob store and the vector index.
// Tests replace an adapter by passing their own modules (see `adapters`).
import { GlobalValuesModule } from '@hearth/config';
import { GrpcHealthModule, safetyV1 } from '@hearth/contracts';
import { DbModule } from '@hearth/db';
import { GrpcClientModule, GrpcError, grpcServerProviders } from '@hearth/grpc';
import { RedisModule } from '@hearth/redis';
import { BlobStoreModule, VectorStoreError } from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';

import { status } from '@grpc/grpc-js';
import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';

import { ModelGatewayAdapter } from '../gateway/model-gateway.adapter';
import { createVectorStore, VectorIndex } from '../retrieval/vector-index';
import { ContextServiceController } from './context-service.controller';
import { CONTEXT_CONFIG, CONTEXT_LOGGER, SAFETY_CLIENT, type ContextDependencies } from './context.constants';
import { ContextLifecycle } from './context.lifecycle';
import { contextProviders } from './context.providers';

const CONNECT_TIMEOUT_MS = 10_000;
// Every Redis command is on a turn's path: none may wait longer than this.
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

// Upstream statuses that are the caller's business (a quota, an unknown model, a bad request).
const PASSED_ON = [
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.RESOURCE_EXHAUSTED,
  status.DEADLINE_EXCEEDED,
  status.UNAVAILABLE,
  status.PERMISSION_DENIED,
];

type Imports = NonNullable<ModuleMetadata['imports']>;

/** The model gateway's adapter (closed at shutdown) and the vector index over the configured store. */
@Module({})
class ContextUpstreamsModule {
  static forRoot({ config }: ContextDependencies): DynamicModule {
    return {
      module: ContextUpstreamsModule,
      providers: [
        { provide: ModelGatewayAdapter, useFactory: () => new ModelGatewayAdapter(config.modelGateway) },
        { provide: VectorIndex, useFactory: () => new VectorIndex(createVectorStore(config.vectorStore)) },
      ],
      exports: [ModelGatewayAdapter, VectorIndex],
    };
  }
}

/** PostgreSQL, Redis, the model gateway, the safety service, the blob store and the vector index. */
export function contextAdapters(dependencies: ContextDependencies): Imports {
  const { config } = dependencies;
  return [
    DbModule.forRoot({
      databaseUrl: config.databaseUrl,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      applicationName: 'context-service',
    }),
    RedisModule.forRootAsync({
      inject: [CONTEXT_LOGGER],
      useFactory: (logger: Logger) => ({
        url: config.redisUrl,
        name: 'Redis',
        logger,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
      }),
    }),
    GrpcClientModule.forClient({
      provide: SAFETY_CLIENT,
      definition: safetyV1.SafetyServiceDefinition,
      useFactory: () => ({
        address: config.safety.address,
        upstream: 'safety service',
        defaultTimeoutMs: config.safety.timeoutMs,
      }),
    }),
    BlobStoreModule.forRoot(config.blobStore),
    ContextUpstreamsModule.forRoot(dependencies),
  ];
}

/** The index is ours: a bad request to it is our bug (INTERNAL), an unreachable Qdrant is UNAVAILABLE. */
function vectorStoreStatus(exception: unknown, logger: Logger): GrpcError | undefined {
  if (!(exception instanceof VectorStoreError)) return undefined;
  logger.error({ err: exception }, 'vector store call failed');
  return exception.code === status.UNAVAILABLE
    ? new GrpcError(status.UNAVAILABLE, 'VECTOR_STORE_UNAVAILABLE', 'vector store unavailable')
    : new GrpcError(status.INTERNAL, 'VECTOR_STORE_ERROR', 'vector store error');
}

export interface ContextModuleOptions extends ContextDependencies {
  /** The outside connections; `contextAdapters(…)` unless a test swaps one. */
  readonly adapters?: Imports;
}

@Module({})
export class ContextModule {
  static forRoot(options: ContextModuleOptions): DynamicModule {
    return {
      module: ContextModule,
      imports: [
        GlobalValuesModule.forRoot([
          [CONTEXT_CONFIG, options.config],
          [CONTEXT_LOGGER, options.logger],
        ]),
        ...(options.adapters ?? contextAdapters(options)),
        GrpcHealthModule,
      ],
      controllers: [ContextServiceController],
      providers: [
        // The gateway's and the safety service's statuses that reach a handler are passed on when they
        // are the caller's business, UNAVAILABLE otherwise; an index failure is ours.
        ...grpcServerProviders({
          useFactory: (logger: Logger) => ({
            logger,
            domain: options.config.service,
            upstreamErrors: { passOn: PASSED_ON, otherwise: status.UNAVAILABLE },
            translate: (exception: unknown) => vectorStoreStatus(exception, logger),
          }),
          inject: [CONTEXT_LOGGER],
        }),
        ...contextProviders,
        ContextLifecycle,
      ],
    };
  }
}
