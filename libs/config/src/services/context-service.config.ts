// Context service: hot window and long-term stores, and the gateway it asks for tokenization and summaries.
import { z } from 'zod';

import {
  baseEnv,
  databaseEnv,
  grpcAddress,
  grpcServerEnv,
  positiveInt,
  redisEnv,
  toBase,
  toGrpcServer,
} from '../env-fields';

export const contextServiceConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    ...databaseEnv,
    ...redisEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50052),
    MODEL_GATEWAY_ADDRESS: grpcAddress(),
    HOT_WINDOW_TURNS: positiveInt().default(8),
    HOT_WINDOW_TTL_SECONDS: positiveInt().default(3600),
  })
  .transform((env) => ({
    ...toBase(env, 'context-service'),
    grpc: toGrpcServer(env),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    modelGateway: env.MODEL_GATEWAY_ADDRESS,
    hotWindow: { turns: env.HOT_WINDOW_TURNS, ttlSeconds: env.HOT_WINDOW_TTL_SECONDS },
  }));

export type ContextServiceConfig = z.output<typeof contextServiceConfigSchema>;
