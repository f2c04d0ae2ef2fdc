// Model gateway: the model registry file, quota/cache store and where usage events go.
import { z } from 'zod';

import { baseEnv, grpcServerEnv, kafkaEnv, positiveInt, redisEnv, toBase, toGrpcServer } from '../env-fields';

export const modelGatewayConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    ...redisEnv,
    ...kafkaEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50055),
    MODEL_REGISTRY_PATH: z.string().min(1),
    RESPONSE_CACHE_TTL_SECONDS: positiveInt().default(3600),
  })
  .transform((env) => ({
    ...toBase(env, 'model-gateway'),
    grpc: toGrpcServer(env),
    redisUrl: env.REDIS_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    registryPath: env.MODEL_REGISTRY_PATH,
    responseCacheTtlSeconds: env.RESPONSE_CACHE_TTL_SECONDS,
  }));

export type ModelGatewayConfig = z.output<typeof modelGatewayConfigSchema>;
