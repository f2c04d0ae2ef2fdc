// Context service: hot window and long-term stores, the gateway it asks for tokenization and
// summaries, and how a prompt's token budget is split between the context layers.
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

const percent = () => z.coerce.number().int().min(0).max(100);

export const contextServiceConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    ...databaseEnv,
    ...redisEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50052),
    MODEL_GATEWAY_ADDRESS: grpcAddress(),
    /** Turns (a user message and everything answering it) kept verbatim in the hot window. */
    HOT_WINDOW_TURNS: positiveInt().default(8),
    /** An idle conversation's hot window leaves Redis after this; the next turn rebuilds it. */
    HOT_WINDOW_TTL_SECONDS: positiveInt().default(3600),
    /** Shares of the budget left after instructions and this turn's input (history takes the rest). */
    CONTEXT_BUDGET_MEMORY_PERCENT: percent().default(10),
    CONTEXT_BUDGET_SUMMARY_PERCENT: percent().default(20),
    CONTEXT_BUDGET_RETRIEVAL_PERCENT: percent().default(30),
    /** Model (id or alias) that writes the rolling summaries of older turns. */
    SUMMARY_MODEL: z.string().min(1).default('fast'),
    /** Upper bound of a summary's length, whatever its budget share. */
    SUMMARY_MAX_TOKENS: positiveInt().default(256),
    /** Deadline of one summary generation; on expiry the turn goes on without the summary. */
    SUMMARY_TIMEOUT_MS: positiveInt().default(20_000),
    /** Deadline of tokenization and model-list calls to the gateway. */
    GATEWAY_TIMEOUT_MS: positiveInt().default(5_000),
    /** Cached token counts (keyed by model sha256 and message hash) live this long. */
    TOKEN_COUNT_TTL_SECONDS: positiveInt().default(86_400),
  })
  .refine(
    (env) =>
      env.CONTEXT_BUDGET_MEMORY_PERCENT +
        env.CONTEXT_BUDGET_SUMMARY_PERCENT +
        env.CONTEXT_BUDGET_RETRIEVAL_PERCENT <=
      90,
    {
      message: 'memory + summary + retrieval budget percents must leave at least 10% for history',
      path: ['CONTEXT_BUDGET_MEMORY_PERCENT'],
    },
  )
  .transform((env) => ({
    ...toBase(env, 'context-service'),
    grpc: toGrpcServer(env),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    modelGateway: env.MODEL_GATEWAY_ADDRESS,
    gatewayTimeoutMs: env.GATEWAY_TIMEOUT_MS,
    hotWindow: { turns: env.HOT_WINDOW_TURNS, ttlSeconds: env.HOT_WINDOW_TTL_SECONDS },
    budget: {
      memoryPercent: env.CONTEXT_BUDGET_MEMORY_PERCENT,
      summaryPercent: env.CONTEXT_BUDGET_SUMMARY_PERCENT,
      retrievalPercent: env.CONTEXT_BUDGET_RETRIEVAL_PERCENT,
    },
    summary: {
      model: env.SUMMARY_MODEL,
      maxTokens: env.SUMMARY_MAX_TOKENS,
      timeoutMs: env.SUMMARY_TIMEOUT_MS,
    },
    tokenCountTtlSeconds: env.TOKEN_COUNT_TTL_SECONDS,
  }));

export type ContextServiceConfig = z.output<typeof contextServiceConfigSchema>;
