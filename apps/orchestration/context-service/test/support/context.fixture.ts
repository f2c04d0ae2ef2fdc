// Starts what the context service's medium specs need, for real: an inference worker on the tiny
// GGUF and a model gateway in front of it (both as processes, through their main.ts), a fresh
// migrated PostgreSQL database, the shared Redis, and the context service itself in the test process
// (so specs can reach its Redis keys), called over gRPC with a raw client built from the protos.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { contextServiceConfigSchema, loadConfig } from '@hearth/config';
import { commonV1, contextV1 } from '@hearth/contracts';
import { appendMessage, createConversation, type MessageRole, type PrismaClient } from '@hearth/db';
import { createGrpcClient, GrpcError, type GrpcClient } from '@hearth/grpc';
import { createLogger } from '@hearth/telemetry';
import {
  createTestDatabase,
  freePort,
  infraEnv,
  seedTenantUser,
  ServiceProcess,
  writeTinyGguf,
  type TestDatabase,
} from '@hearth/testing';

import { Redis } from 'ioredis';
import { stringify } from 'yaml';

import { createContextApp, type ContextApp } from '../../src/app/context-app.factory';

/** What the tiny model answers to anything (greedy decoding), hence every summary's text. */
export const TINY_SUMMARY = 'Earlier the user talked about cats';
export const MODEL_ID = 'tiny';

export interface ModelStack {
  worker: ServiceProcess;
  gateway: ServiceProcess;
  dir: string;
  /** The GGUF the worker serves (the context service loads its vocabulary by default). */
  modelPath: string;
  /** The registry id it is served under. */
  modelId: string;
  /** Generate calls the gateway received so far (its Prometheus counter). */
  gatewayGenerations(): Promise<number>;
  stop(): Promise<void>;
}

export interface ModelStackOptions {
  /**
   * Serve embeddings too: the GGUF gets mean pooling (an embedding is then the mean of its tokens'
   * hidden states, close to a bag of the tokens' embeddings in the tiny model, so lexical overlap
   * gives similarity) and the registry the `embeddings` capability.
   */
  embeddings?: boolean;
  /**
   * Serve this GGUF (e.g. the real default model at HEARTH_MODEL_PATH) instead of the tiny one, as
   * `modelId` with the same aliases, with `contextSize` tokens per slot (default 512), and the
   * registry's `chatTemplate` when its GGUF has none (the gateway refuses a chat model without one).
   */
  model?: { path: string; id: string; contextSize?: number; chatTemplate?: string };
}

/** A worker on the tiny GGUF and a gateway serving it as `tiny` (aliases `fast`, `default`). */
export async function startModelStack(options: ModelStackOptions = {}): Promise<ModelStack> {
  const dir = await mkdtemp(join(tmpdir(), 'context-model-'));
  const modelPath = options.model?.path ?? join(dir, 'tiny.gguf');
  const modelId = options.model?.id ?? MODEL_ID;
  const contextSize = options.model?.contextSize ?? 512;
  if (!options.model) {
    await writeTinyGguf(modelPath, {
      reply: TINY_SUMMARY,
      ...(options.embeddings ? { pooling: 'mean' as const } : {}),
    });
  }
  const sha256 = createHash('sha256')
    .update(await readFile(modelPath))
    .digest('hex');
  const worker = await ServiceProcess.start({
    app: 'inference-worker',
    env: {
      MODEL_ID: modelId,
      MODEL_SOURCE: modelPath,
      MODEL_SHA256: sha256,
      WORKER_GPU: 'cpu',
      // One thread: the specs share two cores with the gateway and the service under test.
      WORKER_THREADS: '1',
      WORKER_SLOTS: '2',
      WORKER_CONTEXT_SIZE: String(contextSize),
      WORKER_BATCH_SIZE: '256',
      WORKER_QUEUE_MAX: '64',
      WORKER_DRAIN_TIMEOUT_MS: '1000',
    },
  });
  const registryPath = join(dir, 'registry.yaml');
  await writeFile(
    registryPath,
    stringify({
      version: 1,
      routing: { statsIntervalMs: 200, statsIdleIntervalMs: 200, statsTimeoutMs: 400 },
      models: [
        {
          id: modelId,
          aliases: ['fast', 'default'],
          tier: 'cpu-tiny',
          sha256,
          contextLength: contextSize,
          price: { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 },
          ...(options.embeddings ? { capabilities: ['chat', 'embeddings'] } : {}),
          ...(options.model?.chatTemplate !== undefined && { chatTemplate: options.model.chatTemplate }),
          workers: { endpoints: [worker.address] },
        },
      ],
    }),
  );
  let gateway: ServiceProcess;
  const metricsPort = await freePort();
  try {
    gateway = await ServiceProcess.start({
      app: 'model-gateway',
      // The gateway's METRICS_PORT must be a real port (ServiceProcess's default 0 is refused).
      env: { MODEL_REGISTRY_PATH: registryPath, METRICS_PORT: String(metricsPort) },
    });
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return {
    worker,
    gateway,
    dir,
    modelPath,
    modelId,
    gatewayGenerations: async () => {
      const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return body
        .split('\n')
        .filter((line) => line.startsWith('gateway_generate_requests_total'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    },
    stop: async () => {
      await gateway.stop();
      await worker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type ContextClient = GrpcClient<typeof contextV1.ContextServiceDefinition>;
type ContextRpc = keyof typeof contextV1.ContextServiceDefinition.methods;

/** The typed client the orchestrator and the BFF use, with a spec-sized default deadline. */
export function contextClient(address: string): ContextClient {
  return createGrpcClient(contextV1.ContextServiceDefinition, { address, defaultTimeoutMs: 30_000 });
}

export interface ContextFixture {
  service: ContextApp;
  db: TestDatabase;
  prisma: PrismaClient;
  redis: Redis;
  client: ContextClient;
  /** The gRPC error a call fails with (throws if it succeeds). */
  failure<K extends ContextRpc>(method: K, request: Parameters<ContextClient[K]>[0]): Promise<GrpcError>;
  close(): Promise<void>;
}

export async function startContextService(
  stack: ModelStack,
  env: Record<string, string> = {},
): Promise<ContextFixture> {
  const infra = infraEnv();
  const db = await createTestDatabase();
  const config = loadConfig(contextServiceConfigSchema, {
    LOG_LEVEL: 'warn',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(await freePort()),
    DATABASE_URL: db.url,
    REDIS_URL: infra.redisUrl,
    MODEL_GATEWAY_ADDRESS: stack.gateway.address,
    // Low mark 3 turns, blocks of 1: the window caches the last 3 + 2 × 1 = 5 turns.
    HOT_WINDOW_TURNS: '3',
    SUMMARY_BLOCK_TURNS: '1',
    // Counts in process with the served model's vocabulary, as npm start runs it.
    TOKENIZER_MODEL_PATHS: stack.modelPath,
    ...env,
  });
  const service = await createContextApp(config, {
    logger: createLogger({ service: 'context-service', level: 'error' }),
  });
  const client = contextClient(service.address);
  const redis = new Redis(infra.redisUrl);
  return {
    service,
    db,
    prisma: db.prisma,
    redis,
    client,
    failure: async (method, request) => {
      try {
        await (client[method] as (request: unknown) => Promise<unknown>)(request);
      } catch (error) {
        if (error instanceof GrpcError) return error;
        throw error;
      }
      throw new Error(`${method} succeeded but was expected to fail`);
    },
    close: async () => {
      client.close();
      redis.disconnect();
      await service.close();
      await db.drop();
    },
  };
}

export interface Seeded {
  tenantId: string;
  userId: string;
  caller: commonV1.Caller;
}

export async function seedUser(prisma: PrismaClient, memoryOptIn = false): Promise<Seeded> {
  const { tenantId, userId } = await seedTenantUser(prisma, { memoryOptIn });
  return { tenantId, userId, caller: { tenantId, userId, apiKeyId: randomUUID() } };
}

/** A conversation with the given (role, text) messages stored in order (seq 1, 2, ...). */
export async function seedConversation(
  prisma: PrismaClient,
  owner: Seeded,
  messages: readonly [MessageRole, string][],
  /** Appends to this conversation instead of creating one. */
  existingConversationId?: string,
): Promise<{ conversationId: string; messageIds: string[] }> {
  const conversationId =
    existingConversationId ??
    (await createConversation(prisma, { tenantId: owner.tenantId, userId: owner.userId })).id;
  const messageIds: string[] = [];
  for (const [role, text] of messages) {
    const row = await appendMessage(prisma, { conversationId, role, content: text });
    messageIds.push(row.id);
  }
  return { conversationId, messageIds };
}

export function chat(role: commonV1.Role, text: string): commonV1.ChatMessage {
  return { role, content: [{ text }], name: '', toolCalls: [], toolCallId: '' };
}

export function assembleRequest(
  overrides: Partial<contextV1.AssembleContextRequest>,
): contextV1.AssembleContextRequest {
  return {
    caller: null,
    conversationId: '',
    newMessages: [],
    model: 'tiny',
    tokenBudget: 0,
    reservedCompletionTokens: 64,
    excludeMemory: false,
    retrieval: null,
    historyBeforeSeq: 0,
    parentMessageId: '',
    ...overrides,
  };
}

/** Texts and layers of an assembly, for compact assertions. */
export function outline(
  response: contextV1.AssembleContextResponse,
): { layer: string; text: string; source: string }[] {
  return response.messages.map((m) => ({
    layer: String(m.provenance?.layer ?? ''),
    text: (m.message?.content ?? []).map((p) => p.text ?? '').join(''),
    source: m.provenance?.sourceId ?? '',
  }));
}
