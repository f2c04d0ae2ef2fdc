// Tool runner: idempotency store, audit sink, the tool policy (per-tenant and per-key allowlists),
// execution limits, the sandbox's limits and http_fetch's egress rules.
import { z } from 'zod';

import {
  baseEnv,
  databaseEnv,
  flag,
  grpcAddress,
  grpcServerEnv,
  kafkaEnv,
  metricsEnv,
  positiveInt,
  toBase,
  toGrpcServer,
} from '../env-fields';

const list = () =>
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    );

export const toolRunnerConfigSchema = z
  .object({
    ...baseEnv,
    ...metricsEnv,
    ...grpcServerEnv,
    ...databaseEnv,
    ...kafkaEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50054),
    /** YAML file of per-tenant and per-key allowlists; unset: the policy shipped with the app. */
    TOOL_POLICY_PATH: z.string().min(1).optional(),
    TOOL_DEFAULT_TIMEOUT_MS: positiveInt().default(10_000),
    TOOL_MAX_OUTPUT_BYTES: positiveInt().default(65_536),
    /** How long a call waits for the user's approval before it expires. */
    TOOL_CONFIRMATION_TTL_SECONDS: positiveInt().default(900),
    /** Sandboxed JavaScript: heap of one isolate, run time of one script, isolates at once. */
    SANDBOX_MEMORY_MB: positiveInt().min(8).default(64),
    SANDBOX_TIMEOUT_MS: positiveInt().default(2_000),
    SANDBOX_CONCURRENCY: positiveInt().default(2),
    /** Hosts http_fetch/send_webhook may reach: exact names or `*.example.com`. Empty: none. */
    HTTP_FETCH_ALLOWED_HOSTS: list(),
    HTTP_FETCH_MAX_BYTES: positiveInt().default(262_144),
    HTTP_FETCH_MAX_REDIRECTS: z.coerce.number().int().min(0).max(10).default(5),
    /**
     * Lets http tools reach loopback addresses (never other private ranges). For tests with local
     * servers only; production keeps the default, so a hostname resolving to 127.0.0.1 is refused.
     */
    HTTP_FETCH_ALLOW_LOOPBACK: flag().default(false),
    /** Context service for search_knowledge; unset: the tool answers "retrieval is not available". */
    CONTEXT_SERVICE_ADDRESS: grpcAddress().optional(),
  })
  .transform((env) => ({
    ...toBase(env, 'tool-runner'),
    metricsPort: env.METRICS_PORT,
    grpc: toGrpcServer(env),
    databaseUrl: env.DATABASE_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    policyPath: env.TOOL_POLICY_PATH,
    limits: {
      defaultTimeoutMs: env.TOOL_DEFAULT_TIMEOUT_MS,
      maxOutputBytes: env.TOOL_MAX_OUTPUT_BYTES,
      confirmationTtlSeconds: env.TOOL_CONFIRMATION_TTL_SECONDS,
    },
    sandbox: {
      memoryMb: env.SANDBOX_MEMORY_MB,
      timeoutMs: env.SANDBOX_TIMEOUT_MS,
      concurrency: env.SANDBOX_CONCURRENCY,
    },
    http: {
      allowedHosts: env.HTTP_FETCH_ALLOWED_HOSTS,
      maxBytes: env.HTTP_FETCH_MAX_BYTES,
      maxRedirects: env.HTTP_FETCH_MAX_REDIRECTS,
      allowLoopback: env.HTTP_FETCH_ALLOW_LOOPBACK,
    },
    contextServiceAddress: env.CONTEXT_SERVICE_ADDRESS,
  }));

export type ToolRunnerConfig = z.output<typeof toolRunnerConfigSchema>;
