// Tool runner: idempotency store, audit sink and execution limits.
import { z } from 'zod';

import {
  baseEnv,
  databaseEnv,
  grpcServerEnv,
  kafkaEnv,
  positiveInt,
  toBase,
  toGrpcServer,
} from '../env-fields';

export const toolRunnerConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    ...databaseEnv,
    ...kafkaEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50054),
    TOOL_DEFAULT_TIMEOUT_MS: positiveInt().default(10_000),
    TOOL_MAX_OUTPUT_BYTES: positiveInt().default(65_536),
    HTTP_FETCH_ALLOWED_HOSTS: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  })
  .transform((env) => ({
    ...toBase(env, 'tool-runner'),
    grpc: toGrpcServer(env),
    databaseUrl: env.DATABASE_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    limits: { defaultTimeoutMs: env.TOOL_DEFAULT_TIMEOUT_MS, maxOutputBytes: env.TOOL_MAX_OUTPUT_BYTES },
    httpFetchAllowedHosts: env.HTTP_FETCH_ALLOWED_HOSTS,
  }));

export type ToolRunnerConfig = z.output<typeof toolRunnerConfigSchema>;
