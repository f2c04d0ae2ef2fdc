// Safety service: where tenant policies live (unset: the policies shipped with the app) and how large
// an input it accepts.
import { z } from 'zod';

import { baseEnv, grpcServerEnv, kafkaEnv, positiveInt, toBase, toGrpcServer } from '../env-fields';

export const safetyServiceConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    ...kafkaEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50053),
    SAFETY_POLICY_DIR: z.string().min(1).optional(),
    SAFETY_MAX_INPUT_BYTES: positiveInt().default(1_000_000),
  })
  .transform((env) => ({
    ...toBase(env, 'safety-service'),
    grpc: toGrpcServer(env),
    kafkaBrokers: env.KAFKA_BROKERS,
    policyDir: env.SAFETY_POLICY_DIR,
    maxInputBytes: env.SAFETY_MAX_INPUT_BYTES,
  }));

export type SafetyServiceConfig = z.output<typeof safetyServiceConfigSchema>;
