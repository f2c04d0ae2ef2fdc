// Inference worker: which model to load, on which backend, and how many sequences share one context.
import { availableParallelism } from 'node:os';

import { z } from 'zod';

import { baseEnv, grpcServerEnv, positiveInt, toBase, toGrpcServer } from '../env-fields';

export const inferenceWorkerConfigSchema = z
  .object({
    ...baseEnv,
    ...grpcServerEnv,
    GRPC_PORT: grpcServerEnv.GRPC_PORT.default(50056),
    MODEL_ID: z.string().min(1).default('default'),
    /** A local GGUF path or a Hugging Face URI (hf:owner/repo/file.gguf). */
    MODEL_SOURCE: z.string().min(1),
    MODEL_SHA256: z
      .string()
      .regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex characters')
      .optional(),
    MODEL_CACHE_DIR: z.string().min(1).default('.local/models'),
    WORKER_GPU: z.enum(['auto', 'cuda', 'vulkan', 'metal', 'cpu']).default('auto'),
    /**
     * Model layers offloaded to the GPU: `auto` (as many as fit next to the context), `max` (all; fails
     * when they do not fit) or a count. Ignored on the CPU backend.
     */
    WORKER_GPU_LAYERS: z
      .string()
      .regex(/^(auto|max|\d{1,4})$/, 'expected auto, max or a layer count')
      .default('auto')
      .transform((v): 'auto' | 'max' | number => (v === 'auto' || v === 'max' ? v : Number(v))),
    // node-llama-cpp defaults to 4 threads, which on a 2-core machine ran 25x slower: always set it.
    WORKER_THREADS: positiveInt().default(availableParallelism()),
    WORKER_SLOTS: positiveInt().max(64).default(4),
    WORKER_CONTEXT_SIZE: positiveInt().default(4096),
    WORKER_BATCH_SIZE: positiveInt().default(512),
    WORKER_QUEUE_MAX: positiveInt().default(64),
    /**
     * Speculative decoding: `prompt_lookup` drafts the tokens that followed the latest generated
     * n-gram in the prompt and verifies them in the same decode (identical output); it pays on answers
     * that copy their context. Only greedy requests without a grammar or penalties draft.
     */
    WORKER_SPECULATIVE_DRAFTING: z.enum(['off', 'prompt_lookup']).default('off'),
    /** Most tokens drafted per decode step. */
    WORKER_DRAFT_TOKENS: positiveInt().max(32).default(4),
    /**
     * Least time between a generation's delta messages after its first two: tokens generated sooner share
     * one message (each message costs every hop a gRPC write and read). 0 sends one per token.
     */
    WORKER_STREAM_INTERVAL_MS: z.coerce.number().int().min(0).max(1000).default(0),
    /** How long SIGTERM waits for running generations before cancelling them. */
    WORKER_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
    /** Stable instance id for Stats and logs; defaults to `<hostname>-<pid>`. */
    WORKER_ID: z.string().min(1).optional(),
    /** Prometheus /metrics listener (on GRPC_HOST); 0 lets the OS pick a free port (logged). */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  })
  .transform((env) => ({
    ...toBase(env, 'inference-worker'),
    grpc: toGrpcServer(env),
    model: {
      id: env.MODEL_ID,
      source: env.MODEL_SOURCE,
      sha256: env.MODEL_SHA256,
      cacheDir: env.MODEL_CACHE_DIR,
    },
    runtime: {
      gpu: env.WORKER_GPU,
      gpuLayers: env.WORKER_GPU_LAYERS,
      threads: env.WORKER_THREADS,
      slots: env.WORKER_SLOTS,
      contextSize: env.WORKER_CONTEXT_SIZE,
      batchSize: env.WORKER_BATCH_SIZE,
      queueMax: env.WORKER_QUEUE_MAX,
      drafting: { mode: env.WORKER_SPECULATIVE_DRAFTING, maxDraftTokens: env.WORKER_DRAFT_TOKENS },
      drainTimeoutMs: env.WORKER_DRAIN_TIMEOUT_MS,
    },
    streamIntervalMs: env.WORKER_STREAM_INTERVAL_MS,
    workerId: env.WORKER_ID,
    metrics: { host: env.GRPC_HOST, port: env.METRICS_PORT },
  }));

export type InferenceWorkerConfig = z.output<typeof inferenceWorkerConfigSchema>;
