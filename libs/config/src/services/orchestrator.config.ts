// Orchestrator: the turn loop's stores and the services it calls.
import { z } from 'zod';

import {
  baseEnv,
  databaseEnv,
  grpcAddress,
  grpcServerEnv,
  kafkaEnv,
  positiveInt,
  redisEnv,
  toBase,
  toGrpcServer,
} from '../env-fields';

export const orchestratorConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    ...databaseEnv,
    ...redisEnv,
    ...kafkaEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50051),
    MODEL_GATEWAY_ADDRESS: grpcAddress(),
    CONTEXT_SERVICE_ADDRESS: grpcAddress(),
    SAFETY_SERVICE_ADDRESS: grpcAddress(),
    TOOL_RUNNER_ADDRESS: grpcAddress(),
    TURN_MAX_TOOL_ROUNDS: positiveInt().max(20).default(5),
    TURN_MAX_TOKENS: positiveInt().default(16384),
  })
  .transform((env) => ({
    ...toBase(env, 'orchestrator'),
    grpc: toGrpcServer(env),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    upstreams: {
      modelGateway: env.MODEL_GATEWAY_ADDRESS,
      contextService: env.CONTEXT_SERVICE_ADDRESS,
      safetyService: env.SAFETY_SERVICE_ADDRESS,
      toolRunner: env.TOOL_RUNNER_ADDRESS,
    },
    turn: { maxToolRounds: env.TURN_MAX_TOOL_ROUNDS, maxTokens: env.TURN_MAX_TOKENS },
  }));

export type OrchestratorConfig = z.output<typeof orchestratorConfigSchema>;
