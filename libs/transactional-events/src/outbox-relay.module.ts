// Runs the service's outbox relay under Nest: built on the global PrismaService (DbModule) and the
// EventProducer of the imported EventProducerModule, started once the application has initialised
// (the database and the broker are connected by then: Nest initialises imported modules first) and
// stopped at shutdown before either closes, so the batch in flight is published and marked. It
// listens for the outbox's notifications on the service's database, as its pool's application_name.
import { DB_OPTIONS, PrismaService, type DbModuleOptions } from '@hearth/db';
import { EventProducer } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';

import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OnModuleInit,
  type OptionalFactoryDependency,
} from '@nestjs/common';

import { OutboxRelay, type OutboxRelayOptions } from './outbox.relay';

export type OutboxRelayModuleOptions = Omit<OutboxRelayOptions, 'prisma' | 'statements' | 'producer'> & {
  logger: Logger;
};

export interface OutboxRelayModuleAsyncOptions {
  /** Must include the EventProducerModule the relay publishes through. */
  imports: NonNullable<ModuleMetadata['imports']>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => OutboxRelayModuleOptions;
}

const OUTBOX_RELAY_OPTIONS = Symbol('hearth:outbox-relay-options');

@Injectable()
class OutboxRelayLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(OutboxRelay) private readonly relay: OutboxRelay) {}

  onModuleInit(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

@Module({})
export class OutboxRelayModule {
  static forRootAsync(options: OutboxRelayModuleAsyncOptions): DynamicModule {
    return {
      module: OutboxRelayModule,
      imports: options.imports,
      providers: [
        {
          provide: OUTBOX_RELAY_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory as (...args: unknown[]) => OutboxRelayModuleOptions,
        },
        {
          provide: OutboxRelay,
          inject: [OUTBOX_RELAY_OPTIONS, PrismaService, EventProducer, DB_OPTIONS],
          useFactory: (
            relayOptions: OutboxRelayModuleOptions,
            prisma: PrismaService,
            producer: EventProducer,
            db: DbModuleOptions,
          ) =>
            new OutboxRelay({
              listen: { databaseUrl: db.databaseUrl, applicationName: db.applicationName },
              ...relayOptions,
              prisma,
              statements: prisma.statements,
              producer,
            }),
        },
        OutboxRelayLifecycle,
      ],
      exports: [OutboxRelay],
    };
  }
}
