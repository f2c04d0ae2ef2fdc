// BFF: the public HTTP listener, its limits, and the orchestrator behind it.
import { z } from 'zod';

import { baseEnv, databaseEnv, grpcAddress, port, positiveInt, redisEnv, toBase } from '../env-fields';

export const bffConfigSchema = z
  .object({
    ...baseEnv,
    ...databaseEnv,
    ...redisEnv,
    HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    HTTP_PORT: port().default(8080),
    HTTP_BODY_LIMIT_BYTES: positiveInt().default(1_048_576),
    SSE_HEARTBEAT_MS: positiveInt().default(15_000),
    ORCHESTRATOR_ADDRESS: grpcAddress(),
    MODEL_GATEWAY_ADDRESS: grpcAddress(),
  })
  .transform((env) => ({
    ...toBase(env, 'bff'),
    http: { host: env.HTTP_HOST, port: env.HTTP_PORT, bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES },
    sseHeartbeatMs: env.SSE_HEARTBEAT_MS,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    upstreams: { orchestrator: env.ORCHESTRATOR_ADDRESS, modelGateway: env.MODEL_GATEWAY_ADDRESS },
  }));

export type BffConfig = z.output<typeof bffConfigSchema>;
