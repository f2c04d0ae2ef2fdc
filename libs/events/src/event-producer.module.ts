// Provides the service's one EventProducer through Nest DI: built from the app's validated config
// (`forRootAsync`), connected while the application initialises (an unreachable broker rejects
// start-up within the connect deadline) and disconnected at shutdown, after every module importing
// this one has stopped publishing (Nest shuts shallower modules down first).
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

import { EventProducer } from './event.producer';
import { createKafkaClient } from './kafka-client.factory';

export interface EventProducerModuleOptions {
  /** kafkajs client id, usually the service's name. */
  clientId: string;
  brokers: readonly string[];
  logger: Logger;
  connectTimeoutMs?: number;
  sendTimeoutMs?: number;
}

export interface EventProducerModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => EventProducerModuleOptions;
}

const EVENT_PRODUCER_OPTIONS = Symbol('hearth:event-producer-options');

@Injectable()
class EventProducerLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(EventProducer) private readonly producer: EventProducer,
    @Inject(EVENT_PRODUCER_OPTIONS) private readonly options: EventProducerModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer
      .disconnect()
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'Kafka producer disconnect failed'),
      );
  }
}

@Module({})
export class EventProducerModule {
  static forRootAsync(options: EventProducerModuleAsyncOptions): DynamicModule {
    return {
      module: EventProducerModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: EVENT_PRODUCER_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory as (...args: unknown[]) => EventProducerModuleOptions,
        },
        {
          provide: EventProducer,
          inject: [EVENT_PRODUCER_OPTIONS],
          useFactory: (producerOptions: EventProducerModuleOptions) =>
            new EventProducer({
              kafka: createKafkaClient({
                clientId: producerOptions.clientId,
                brokers: [...producerOptions.brokers],
                logger: producerOptions.logger,
              }),
              connectTimeoutMs: producerOptions.connectTimeoutMs,
              sendTimeoutMs: producerOptions.sendTimeoutMs,
            }),
        },
        EventProducerLifecycle,
      ],
      exports: [EventProducer],
    };
  }
}
