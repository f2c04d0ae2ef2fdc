// The gateway's root module. Its outside connections are modules of their own, so Nest connects them
// while the application initialises, before the gateway's own background work starts (see
// gateway.lifecycle.ts), and closes them after it stops: Redis (pinged; while it is down later, quota
// checks fail open, counted in the gateway metrics) and the Kafka producer of usage events.
// Tests replace an adapter by passing their own modules (see `adapters`).
import { GlobalValuesModule } from '@hearth/config';
import { GrpcHealthModule } from '@hearth/contracts';
import { EventProducerModule } from '@hearth/events';
import { grpcServerProviders } from '@hearth/grpc';
import { RedisModule } from '@hearth/redis';
import type { Logger } from '@hearth/telemetry';

import { Module, type DynamicModule, type ModuleMetadata } from '@nestjs/common';

import { GATEWAY_CONFIG, GATEWAY_LOGGER, type GatewayDependencies } from './gateway.constants';
import { GatewayLifecycle } from './gateway.lifecycle';
import { gatewayProviders } from './gateway.providers';
import { ModelGatewayController } from './model-gateway.controller';

const CONNECT_TIMEOUT_MS = 10_000;
// Every Redis command is on a request's path or its settlement: none may wait longer than this.
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

type Imports = NonNullable<ModuleMetadata['imports']>;

/** Redis and the Kafka producer, from the config. */
export function gatewayAdapters({ config }: GatewayDependencies): Imports {
  return [
    // Commands issued in the same tick (quota, cache, markers of concurrent requests) share one write.
    RedisModule.forRootAsync({
      inject: [GATEWAY_LOGGER],
      useFactory: (logger: Logger) => ({
        url: config.redisUrl,
        logger,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
      }),
    }),
    EventProducerModule.forRootAsync({
      inject: [GATEWAY_LOGGER],
      useFactory: (logger: Logger) => ({
        clientId: 'model-gateway',
        brokers: config.kafkaBrokers,
        logger,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        sendTimeoutMs: 15_000,
      }),
    }),
  ];
}

export interface GatewayModuleOptions extends GatewayDependencies {
  /** The outside connections; `gatewayAdapters(…)` unless a test swaps one. */
  readonly adapters?: Imports;
}

@Module({})
export class GatewayModule {
  static forRoot(options: GatewayModuleOptions): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        GlobalValuesModule.forRoot([
          [GATEWAY_CONFIG, options.config],
          [GATEWAY_LOGGER, options.logger],
        ]),
        ...(options.adapters ?? gatewayAdapters(options)),
        GrpcHealthModule,
      ],
      controllers: [ModelGatewayController],
      providers: [
        ...grpcServerProviders({
          useFactory: (logger: Logger) => ({ logger, domain: options.config.service }),
          inject: [GATEWAY_LOGGER],
        }),
        ...gatewayProviders,
        GatewayLifecycle,
      ],
    };
  }
}
