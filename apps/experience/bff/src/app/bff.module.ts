// The BFF's root module: the HTTP controllers and the services behind them. Its outside connections
// are modules of their own, so Nest opens them while the application initialises and closes them in
// reverse at shutdown: PostgreSQL (global DbModule: first up, last down), Redis (pinged), the gRPC
// upstreams (lazy channels; calls carry deadlines), the blob store uploads go to, and, when
// KAFKA_BROKERS is set, the Kafka producer and the outbox relay for the BFF's own audit events.
// Tests replace an adapter by passing their own modules (see `adapters`).
import { GlobalValuesModule, type BffConfig } from '@hearth/config';
import { DbModule } from '@hearth/db';
import { EventProducerModule } from '@hearth/events';
import { RedisModule } from '@hearth/redis';
import { BlobStoreModule } from '@hearth/retrieval';
import type { Logger } from '@hearth/telemetry';
import { OutboxRelayModule } from '@hearth/transactional-events';

import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';

import { AuditController } from '../audit/audit.controller';
import { BudgetsController } from '../budgets/budgets.controller';
import { ChatController } from '../chat/chat.controller';
import { ConversationsController } from '../conversations/conversations.controller';
import { FilesController } from '../files/files.controller';
import { MemoryController } from '../memory/memory.controller';
import { ModelsController } from '../models/models.controller';
import { ResponsesController } from '../responses/responses.controller';
import { upstreamClientModules } from '../upstream/upstream.clients';
import { UsageController } from '../usage/usage.controller';
import { WebAppModule } from '../web/web-app.module';
import { BFF_CONFIG, BFF_LOGGER, type BffDependencies } from './bff.constants';
import { BffLifecycle } from './bff.lifecycle';
import { bffProviders } from './bff.providers';
import { HealthController } from './health.controller';

const CONNECT_TIMEOUT_MS = 10_000;
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

type Imports = NonNullable<ModuleMetadata['imports']>;

/** PostgreSQL, Redis, the gRPC upstreams, the blob store and (with KAFKA_BROKERS) the outbox relay. */
export function bffAdapters({ config }: BffDependencies): Imports {
  return [
    DbModule.forRoot({
      databaseUrl: config.databaseUrl,
      maxConnections: 10,
      // Also the outbox notification its relay wakes on (outbox.notifications.ts).
      applicationName: 'bff',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    }),
    RedisModule.forRootAsync({
      inject: [BFF_LOGGER],
      useFactory: (logger: Logger) => ({
        url: config.redisUrl,
        name: 'Redis',
        logger,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
      }),
    }),
    ...upstreamClientModules(config.upstreams),
    BlobStoreModule.forRoot(config.files.blobStore),
    ...auditRelay(config),
  ];
}

function auditRelay(config: BffConfig): Imports {
  const brokers = config.kafkaBrokers;
  if (!brokers) return [];
  const producer = EventProducerModule.forRootAsync({
    inject: [BFF_LOGGER],
    useFactory: (logger: Logger) => ({
      clientId: 'bff',
      brokers,
      logger,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      sendTimeoutMs: 15_000,
    }),
  });
  return [
    OutboxRelayModule.forRootAsync({
      imports: [producer],
      inject: [BFF_LOGGER],
      useFactory: (logger: Logger) => ({ logger }),
    }),
  ];
}

export interface BffModuleOptions extends BffDependencies {
  /** The outside connections; `bffAdapters(…)` unless a test swaps one. */
  readonly adapters?: Imports;
}

@Module({})
export class BffModule {
  static forRoot(options: BffModuleOptions): DynamicModule {
    return {
      module: BffModule,
      imports: [
        GlobalValuesModule.forRoot([
          [BFF_CONFIG, options.config],
          [BFF_LOGGER, options.logger],
        ]),
        ...(options.adapters ?? bffAdapters(options)),
        WebAppModule.register({ dir: options.config.web.dir }),
      ],
      controllers: [
        HealthController,
        ModelsController,
        ChatController,
        ResponsesController,
        ConversationsController,
        MemoryController,
        UsageController,
        BudgetsController,
        AuditController,
        FilesController,
      ],
      providers: [...bffProviders, BffLifecycle],
    };
  }
}
