// Context service: hot window and long-term stores, the model vocabularies it counts tokens with
// (the gateway's Tokenize only for models without one), background rolling summaries, background
// memory-fact proposals, and how a prompt's token budget is split between the context layers.
import { z } from 'zod';

import {
  baseEnv,
  databaseEnv,
  flag,
  grpcAddress,
  grpcServerEnv,
  metricsEnv,
  positiveInt,
  redisEnv,
  toBase,
  toGrpcServer,
} from '../env-fields';
import { blobStoreEnv, blobStoreRefinement, toBlobStore } from './blob-store.env';

const percent = () => z.coerce.number().int().min(0).max(100);

export const contextServiceConfigSchema = z
  .object({
    ...baseEnv,
    ...metricsEnv,
    ...grpcServerEnv,
    ...databaseEnv,
    ...redisEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50052),
    MODEL_GATEWAY_ADDRESS: grpcAddress(),
    /**
     * Low mark: turns (a user message and everything answering it) left verbatim after a rolling
     * summary is written. The verbatim part then grows by SUMMARY_BLOCK_TURNS before the next one.
     */
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
    /**
     * Turns summarized at once: when the verbatim part reaches HOT_WINDOW_TURNS + this (the high
     * mark), the oldest turns down to HOT_WINDOW_TURNS are folded into a new summary in the
     * background, so a summary is written once per block of turns, never per turn.
     */
    SUMMARY_BLOCK_TURNS: positiveInt().default(4),
    /** Deadline of one background summary generation (a failed one is retried after the next turn). */
    SUMMARY_TIMEOUT_MS: positiveInt().default(120_000),
    /**
     * Lease on a conversation's summary work, held in Redis across replicas and renewed while the
     * work runs: a process that dies mid-summary blocks the conversation's summaries this long at most.
     */
    SUMMARY_LEASE_MS: z.coerce.number().int().min(1_000).default(30_000),
    /**
     * Before saving a new summary, send the prompt prefix the turn adopting it will start with
     * (instructions, memory, the new summary, the verbatim turns) to the worker once, max_tokens 1,
     * lowest priority, so that turn finds it cached instead of prefilling it (metered like any
     * generation).
     */
    SUMMARY_PRIME_PREFIX: flag().default(true),
    /**
     * After a turn of a user who has memory on, ask MEMORY_PROPOSAL_MODEL in the background for
     * durable facts about the user stated in the turn's user messages, and store new ones as proposed
     * (never used until the user approves them). Off: no proposals at all.
     */
    MEMORY_PROPOSALS: flag().default(true),
    /** Model (id or alias) that proposes memory facts (JSON-schema-constrained output). */
    MEMORY_PROPOSAL_MODEL: z.string().min(1).default('fast'),
    /** At most one proposal run per user in this interval, across replicas; turns in between are skipped. */
    MEMORY_PROPOSAL_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
    /** Upper bound of one proposal generation's length. */
    MEMORY_PROPOSAL_MAX_TOKENS: positiveInt().default(256),
    /** Deadline of one background proposal generation (a failed one is logged, counted and dropped). */
    MEMORY_PROPOSAL_TIMEOUT_MS: positiveInt().default(60_000),
    /** Proposed facts a user may have waiting for approval; beyond this nothing more is proposed. */
    MEMORY_PROPOSAL_MAX_PENDING: positiveInt().default(20),
    /**
     * GGUF files (or folders of them), comma-separated, whose vocabularies the service loads
     * (vocabulary only, no weights in memory) to count tokens in process. A file serves every
     * registry model whose sha256 is the file's; other models are counted through the gateway.
     */
    TOKENIZER_MODEL_PATHS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    /** Deadline of tokenization and model-list calls to the gateway. */
    GATEWAY_TIMEOUT_MS: positiveInt().default(5_000),
    /** Cached token counts (keyed by model sha256 and message hash) live this long. */
    TOKEN_COUNT_TTL_SECONDS: positiveInt().default(86_400),
    ...blobStoreEnv,
    /** Safety service that checks retrieved text for injected instructions before it enters a prompt. */
    SAFETY_SERVICE_ADDRESS: grpcAddress().default('127.0.0.1:50053'),
    /** Deadline of one safety check of retrieved chunks. */
    SAFETY_TIMEOUT_MS: positiveInt().default(5_000),
    /** Embedding model (id or alias at the gateway; it must have the `embeddings` capability). */
    EMBEDDING_MODEL: z.string().min(1).default('default'),
    /** Deadline of one Embed batch. */
    EMBED_TIMEOUT_MS: positiveInt().default(60_000),
    /** Texts per Embed call (the gateway takes at most 256). */
    EMBED_BATCH_SIZE: z.coerce.number().int().min(1).max(256).default(32),
    /** Chunk size and overlap, in the embedding model's tokens. */
    CHUNK_MAX_TOKENS: z.coerce.number().int().min(8).default(256),
    CHUNK_OVERLAP_TOKENS: z.coerce.number().int().min(0).default(32),
    /** Folder of the embedded vector index (used unless QDRANT_URL is set). */
    VECTOR_STORE_DIR: z.string().min(1).default('.local/vectors'),
    /** Qdrant's REST URL; when set, vectors go to Qdrant instead of the embedded index. */
    QDRANT_URL: z.url().optional(),
    QDRANT_API_KEY: z.string().min(1).optional(),
    /** How often the ingestion loop looks for uploaded files and expired leases. */
    INGEST_POLL_MS: positiveInt().default(1_000),
    /** A file claimed for ingestion is retried by any worker once this passes (crash recovery). */
    INGEST_LEASE_MS: positiveInt().default(300_000),
    /** Attempts before a file is marked failed. */
    INGEST_MAX_ATTEMPTS: positiveInt().default(3),
    /** Files ingested at the same time by one process. */
    INGEST_CONCURRENCY: positiveInt().default(1),
    /** Chunks returned by Retrieve when the request sets no top_k. */
    RETRIEVAL_TOP_K: z.coerce.number().int().min(1).max(50).default(6),
    /** Token budget of one Retrieve call's chunks (embedding-model tokens). */
    RETRIEVAL_TOKEN_BUDGET: positiveInt().default(2_048),
  })
  .refine(...blobStoreRefinement)
  .refine((env) => env.CHUNK_OVERLAP_TOKENS < env.CHUNK_MAX_TOKENS / 2, {
    message: 'CHUNK_OVERLAP_TOKENS must be less than half of CHUNK_MAX_TOKENS',
    path: ['CHUNK_OVERLAP_TOKENS'],
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
    metricsPort: env.METRICS_PORT,
    grpc: toGrpcServer(env),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    modelGateway: env.MODEL_GATEWAY_ADDRESS,
    gatewayTimeoutMs: env.GATEWAY_TIMEOUT_MS,
    hotWindow: {
      turns: env.HOT_WINDOW_TURNS,
      // Room for the verbatim part at its high mark plus one block more while a summary is written.
      cachedTurns: env.HOT_WINDOW_TURNS + 2 * env.SUMMARY_BLOCK_TURNS,
      ttlSeconds: env.HOT_WINDOW_TTL_SECONDS,
    },
    budget: {
      memoryPercent: env.CONTEXT_BUDGET_MEMORY_PERCENT,
      summaryPercent: env.CONTEXT_BUDGET_SUMMARY_PERCENT,
      retrievalPercent: env.CONTEXT_BUDGET_RETRIEVAL_PERCENT,
    },
    summary: {
      model: env.SUMMARY_MODEL,
      maxTokens: env.SUMMARY_MAX_TOKENS,
      timeoutMs: env.SUMMARY_TIMEOUT_MS,
      lowTurns: env.HOT_WINDOW_TURNS,
      blockTurns: env.SUMMARY_BLOCK_TURNS,
      leaseMs: env.SUMMARY_LEASE_MS,
      primePrefix: env.SUMMARY_PRIME_PREFIX,
    },
    memoryProposals: {
      enabled: env.MEMORY_PROPOSALS,
      model: env.MEMORY_PROPOSAL_MODEL,
      minIntervalMs: env.MEMORY_PROPOSAL_MIN_INTERVAL_MS,
      maxTokens: env.MEMORY_PROPOSAL_MAX_TOKENS,
      timeoutMs: env.MEMORY_PROPOSAL_TIMEOUT_MS,
      maxPending: env.MEMORY_PROPOSAL_MAX_PENDING,
    },
    tokenizerModelPaths: env.TOKENIZER_MODEL_PATHS,
    tokenCountTtlSeconds: env.TOKEN_COUNT_TTL_SECONDS,
    blobStore: toBlobStore(env),
    safety: { address: env.SAFETY_SERVICE_ADDRESS, timeoutMs: env.SAFETY_TIMEOUT_MS },
    retrieval: {
      embeddingModel: env.EMBEDDING_MODEL,
      embedTimeoutMs: env.EMBED_TIMEOUT_MS,
      embedBatchSize: env.EMBED_BATCH_SIZE,
      chunkMaxTokens: env.CHUNK_MAX_TOKENS,
      chunkOverlapTokens: env.CHUNK_OVERLAP_TOKENS,
      topK: env.RETRIEVAL_TOP_K,
      tokenBudget: env.RETRIEVAL_TOKEN_BUDGET,
    },
    vectorStore: env.QDRANT_URL
      ? ({ kind: 'qdrant', url: env.QDRANT_URL, apiKey: env.QDRANT_API_KEY } as const)
      : ({ kind: 'embedded', directory: env.VECTOR_STORE_DIR } as const),
    ingest: {
      pollMs: env.INGEST_POLL_MS,
      leaseMs: env.INGEST_LEASE_MS,
      maxAttempts: env.INGEST_MAX_ATTEMPTS,
      concurrency: env.INGEST_CONCURRENCY,
    },
  }));

export type ContextServiceConfig = z.output<typeof contextServiceConfigSchema>;
