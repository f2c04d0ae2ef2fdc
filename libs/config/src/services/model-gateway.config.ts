// Model gateway: the model registry file, quota/cache store, where usage events go, and the bounds
// the gateway puts on every generation.
import { z } from 'zod';

import {
  baseEnv,
  flag,
  grpcServerEnv,
  kafkaEnv,
  positiveInt,
  redisEnv,
  toBase,
  toGrpcServer,
} from '../env-fields';

export const modelGatewayConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    ...redisEnv,
    ...kafkaEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50055),
    /** YAML or JSON file: models, aliases, worker pools, prices, fallbacks, routing and quota policy. */
    MODEL_REGISTRY_PATH: z.string().min(1),
    /** Safety net next to the file watcher (some volumes do not deliver change events). */
    MODEL_REGISTRY_POLL_MS: positiveInt().default(10_000),
    RESPONSE_CACHE_TTL_SECONDS: positiveInt().default(3600),
    /** Cap on a generation without a deadline of its own, so no upstream call is ever unbounded. */
    GENERATE_MAX_DURATION_MS: positiveInt().default(300_000),
    /** How long a request id is remembered as metered (a retry within it is never charged twice). */
    USAGE_DEDUPE_TTL_SECONDS: positiveInt().default(7 * 24 * 3600),
    /**
     * Budget scopes (tenant, api_key, user; comma-separated, may be empty) that fail closed when Redis
     * cannot be asked: a caller known to have such a budget is refused (UNAVAILABLE) instead of being
     * admitted unchecked.
     */
    BUDGET_FAIL_CLOSED_SCOPES: z
      .string()
      .default('api_key')
      .transform((value) =>
        value
          .split(',')
          .map((scope) => scope.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(['tenant', 'api_key', 'user']))),
    /**
     * Route a request to the worker holding the longest cached prefix of it (workers report their
     * slots' prefixes in Stats) instead of the least-loaded one, within CACHE_ROUTING_MAX_LOAD_GAP.
     */
    CACHE_AWARE_ROUTING: flag().default(true),
    /**
     * How many fewer free slots (more active or queued requests) than the least-loaded worker the
     * prefix holder may have and still get an interactive request; beyond it the request overflows
     * to the least-loaded worker. Low-priority (background) requests always use 0.
     */
    CACHE_ROUTING_MAX_LOAD_GAP: z.coerce.number().int().min(0).default(2),
    /** Prometheus /metrics on this port; unset serves no metrics endpoint. */
    // 0 lets the OS pick (several gateways in one test run).
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  })
  .transform((env) => ({
    ...toBase(env, 'model-gateway'),
    grpc: toGrpcServer(env),
    redisUrl: env.REDIS_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    registryPath: env.MODEL_REGISTRY_PATH,
    registryPollMs: env.MODEL_REGISTRY_POLL_MS,
    responseCacheTtlSeconds: env.RESPONSE_CACHE_TTL_SECONDS,
    generateMaxDurationMs: env.GENERATE_MAX_DURATION_MS,
    usageDedupeTtlSeconds: env.USAGE_DEDUPE_TTL_SECONDS,
    budgetFailClosedScopes: env.BUDGET_FAIL_CLOSED_SCOPES,
    cacheRouting: { enabled: env.CACHE_AWARE_ROUTING, maxLoadGap: env.CACHE_ROUTING_MAX_LOAD_GAP },
    metricsPort: env.METRICS_PORT,
  }));

export type ModelGatewayConfig = z.output<typeof modelGatewayConfigSchema>;
