// Safety service: where tenant policies live (unset: the policies shipped with the app), how large
// an input it accepts, the guard model that moderates harmful content (unset: the rule-based
// moderator), and the Redis that spools audit events while Kafka is down.
import { z } from 'zod';

import {
  baseEnv,
  grpcAddress,
  grpcServerEnv,
  kafkaEnv,
  metricsEnv,
  positiveInt,
  redisEnv,
  toBase,
  toGrpcServer,
} from '../env-fields';

export const safetyServiceConfigSchema = z
  .object({
    ...baseEnv,
    ...metricsEnv,
    ...grpcServerEnv,
    ...kafkaEnv,
    ...redisEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50053),
    SAFETY_POLICY_DIR: z.string().min(1).optional(),
    SAFETY_MAX_INPUT_BYTES: positiveInt().default(1_000_000),
    /** Guard model (id or alias at the gateway) that moderates harmful content instead of the rules. */
    SAFETY_GUARD_MODEL: z.string().min(1).optional(),
    /** The gateway the guard model is reached through; required with SAFETY_GUARD_MODEL. */
    MODEL_GATEWAY_ADDRESS: grpcAddress().optional(),
    /** Deadline of one guard call; on expiry (or any failure) that text is moderated by the rules. */
    SAFETY_GUARD_TIMEOUT_MS: positiveInt().default(3_000),
  })
  .refine((env) => env.SAFETY_GUARD_MODEL === undefined || env.MODEL_GATEWAY_ADDRESS !== undefined, {
    message: 'MODEL_GATEWAY_ADDRESS is required when SAFETY_GUARD_MODEL is set',
    path: ['MODEL_GATEWAY_ADDRESS'],
  })
  .transform((env) => ({
    ...toBase(env, 'safety-service'),
    metricsPort: env.METRICS_PORT,
    grpc: toGrpcServer(env),
    kafkaBrokers: env.KAFKA_BROKERS,
    redisUrl: env.REDIS_URL,
    policyDir: env.SAFETY_POLICY_DIR,
    maxInputBytes: env.SAFETY_MAX_INPUT_BYTES,
    guard:
      env.SAFETY_GUARD_MODEL === undefined
        ? undefined
        : {
            model: env.SAFETY_GUARD_MODEL,
            gatewayAddress: env.MODEL_GATEWAY_ADDRESS as string,
            timeoutMs: env.SAFETY_GUARD_TIMEOUT_MS,
          },
  }));

export type SafetyServiceConfig = z.output<typeof safetyServiceConfigSchema>;
