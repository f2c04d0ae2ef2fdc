// BFF: the public HTTP listener, its limits, default rate limits, and the gRPC services behind it.
import { resolve } from 'node:path';

import { z } from 'zod';

import {
  addressList,
  baseEnv,
  databaseEnv,
  grpcAddress,
  metricsEnv,
  positiveInt,
  redisEnv,
  toBase,
} from '../env-fields';
import { blobStoreEnv, blobStoreRefinement, toBlobStore } from './blob-store.env';

export const bffConfigSchema = z
  .object({
    ...baseEnv,
    ...metricsEnv,
    ...databaseEnv,
    ...redisEnv,
    HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HTTP_BODY_LIMIT_BYTES: positiveInt().default(1_048_576),
    SSE_HEARTBEAT_MS: positiveInt().default(15_000),
    ORCHESTRATOR_ADDRESS: grpcAddress(),
    MODEL_GATEWAY_ADDRESS: grpcAddress(),
    CONTEXT_SERVICE_ADDRESS: grpcAddress().optional(),
    TOOL_RUNNER_ADDRESS: grpcAddress().optional(),
    /** When set, the BFF also relays its outbox (feedback audit events) to Kafka. */
    KAFKA_BROKERS: addressList().optional(),
    /** Requests and tokens per minute for keys without their own limits. */
    RATE_LIMIT_DEFAULT_RPM: positiveInt().default(600),
    RATE_LIMIT_DEFAULT_TPM: positiveInt().default(1_000_000),
    /**
     * Failed authentications (401) per client address and minute after which the address gets 429 until
     * the minute is over; 0 turns the limit off.
     */
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(30),
    /**
     * How long an authenticated API key is kept in memory (a change to the key evicts it at once on
     * every replica through PostgreSQL NOTIFY); 0 reads PostgreSQL on every request.
     */
    API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(60_000),
    /**
     * Proxies in front of the BFF whose X-Forwarded-For is trusted for the client address (Express'
     * `trust proxy` hop count); 0: the socket's peer is the client.
     */
    HTTP_TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    /** Upper bound of one chat turn (the RunTurn deadline). */
    CHAT_MAX_DURATION_MS: positiveInt().default(300_000),
    /** How long a background response's driver lease lives (a dead replica's responses are taken over after it). */
    RESPONSES_DRIVER_LEASE_MS: positiveInt().default(15_000),
    /** Deadline of unary upstream calls (models, embeddings, conversations extension). */
    UPSTREAM_TIMEOUT_MS: positiveInt().default(10_000),
    /** Where uploaded files go (the context service reads them from the same store). */
    ...blobStoreEnv,
    /** Largest file POST /v1/files accepts (413 above). */
    FILES_MAX_UPLOAD_BYTES: positiveInt()
      .max(512 * 1024 * 1024)
      .default(32 * 1024 * 1024),
    /** The web app's build (index.html + assets/), served at `/`; relative paths are from the working directory. */
    WEB_APP_DIR: z.string().min(1).default('dist/apps/experience/web'),
  })
  .refine(...blobStoreRefinement)
  .transform((env) => ({
    ...toBase(env, 'bff'),
    metricsPort: env.METRICS_PORT,
    http: {
      host: env.HTTP_HOST,
      port: env.HTTP_PORT,
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      trustProxyHops: env.HTTP_TRUST_PROXY_HOPS,
    },
    sseHeartbeatMs: env.SSE_HEARTBEAT_MS,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    kafkaBrokers: env.KAFKA_BROKERS,
    upstreams: {
      orchestrator: env.ORCHESTRATOR_ADDRESS,
      modelGateway: env.MODEL_GATEWAY_ADDRESS,
      contextService: env.CONTEXT_SERVICE_ADDRESS,
      toolRunner: env.TOOL_RUNNER_ADDRESS,
      timeoutMs: env.UPSTREAM_TIMEOUT_MS,
    },
    rateLimits: {
      defaultRpm: env.RATE_LIMIT_DEFAULT_RPM,
      defaultTpm: env.RATE_LIMIT_DEFAULT_TPM,
      authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
    },
    apiKeyCacheTtlMs: env.API_KEY_CACHE_TTL_MS,
    chatMaxDurationMs: env.CHAT_MAX_DURATION_MS,
    responsesDriverLeaseMs: env.RESPONSES_DRIVER_LEASE_MS,
    files: { blobStore: toBlobStore(env), maxUploadBytes: env.FILES_MAX_UPLOAD_BYTES },
    web: { dir: resolve(env.WEB_APP_DIR) },
  }));

export type BffConfig = z.output<typeof bffConfigSchema>;
