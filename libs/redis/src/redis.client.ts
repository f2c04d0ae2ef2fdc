// Owns how a service reaches Redis: one ioredis configuration (lazy connect, bounded connect and
// command time, one retry per command, commands of one tick pipelined into one write) and the
// start-up connect, which fails within its deadline with the real cause instead of hanging.
import { withDeadline } from '@hearth/telemetry';

import { Redis } from 'ioredis';

export interface RedisClientOptions {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
  });
}

export interface ConnectRedisOptions {
  /** How errors name the server, e.g. "Redis" or "Redis at host:port". */
  readonly name: string;
  readonly timeoutMs: number;
  readonly logger: { warn(fields: object, message: string): void };
  /** The service's shutdown steps: closing the client is registered before it connects. */
  readonly stops: { push(step: () => void): void };
}

export async function connectRedis(redis: Redis, options: ConnectRedisOptions): Promise<void> {
  const { name, timeoutMs, logger, stops } = options;
  // Registered before connecting: a failed start must not leave a client reconnecting forever.
  stops.push(() => void redis.quit().catch(() => redis.disconnect()));
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastError = error;
    // ioredis reconnects by itself; commands meanwhile fail fast (commandTimeout).
    logger.warn({ err: error }, 'Redis connection error');
  });
  await withDeadline(timeoutMs, `${name} connect`, async () => {
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      throw new Error(`${name} is unreachable: ${(lastError ?? (error as Error)).message}`, { cause: error });
    }
  });
}
