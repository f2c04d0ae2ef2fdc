// Provides the service's Redis client through Nest DI, injectable as ioredis's `Redis`: built from the
// app's validated config (`forRootAsync`), connected and pinged while the application initialises (an
// unreachable server rejects start-up within the deadline, with the real cause) and closed at
// shutdown, after every module importing this one has finished its last commands.
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
import { Redis } from 'ioredis';

import { connectRedis, createRedisClient, type RedisClientOptions } from './redis.client';

export interface RedisModuleOptions extends RedisClientOptions {
  url: string;
  logger: Logger;
  /** How errors name the server; "Redis at <url without password>" by default. */
  name?: string;
}

export interface RedisModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => RedisModuleOptions;
}

const REDIS_OPTIONS = Symbol('hearth:redis-options');

@Injectable()
class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly closeSteps: (() => void)[] = [];

  constructor(
    @Inject(Redis) private readonly redis: Redis,
    @Inject(REDIS_OPTIONS) private readonly options: RedisModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await connectRedis(this.redis, {
      name: this.options.name ?? `Redis at ${redactCredentials(this.options.url)}`,
      timeoutMs: this.options.connectTimeoutMs,
      logger: this.options.logger,
      stops: { push: (step) => this.closeSteps.push(step) },
    });
  }

  /** Closes the client if it was ever connected (a client that never connected holds no socket). */
  onApplicationShutdown(): void {
    for (const step of this.closeSteps.splice(0)) step();
  }
}

@Module({})
export class RedisModule {
  static forRootAsync(options: RedisModuleAsyncOptions): DynamicModule {
    return {
      module: RedisModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: REDIS_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory as (...args: unknown[]) => RedisModuleOptions,
        },
        {
          provide: Redis,
          inject: [REDIS_OPTIONS],
          useFactory: ({ url, ...clientOptions }: RedisModuleOptions) =>
            createRedisClient(url, clientOptions),
        },
        RedisLifecycle,
      ],
      exports: [Redis],
    };
  }
}

/** The URL without its password, for error messages and logs. */
export function redactCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
