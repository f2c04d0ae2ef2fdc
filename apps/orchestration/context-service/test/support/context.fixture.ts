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
  stop(): Promise<void>;
}

export interface ModelStackOptions {
  /**
   * Serve embeddings too: the GGUF gets mean pooling (an embedding is then the mean of its tokens'
   * hidden states, close to a bag of the tokens' embeddings in the tiny model, so lexical overlap
   * gives similarity) and the registry the `embeddings` capability.
   */
  embeddings?: boolean;
}

/** A worker on the tiny GGUF and a gateway serving it as `tiny` (aliases `fast`, `default`). */
export async function startModelStack(options: ModelStackOptions = {}): Promise<ModelStack> {
  const dir = await mkdtemp(join(tmpdir(), 'context-model-'));
  const modelPath = join(dir, 'tiny.gguf');
  await writeTinyGguf(modelPath, {
    reply: TINY_SUMMARY,
    ...(options.embeddings ? { pooling: 'mean' as const } : {}),
  });
  const sha256 = createHash('sha256')
    .update(await readFile(modelPath))
    .digest('hex');
  const worker = await ServiceProcess.start({
    app: 'inference-worker',
    env: {
      MODEL_ID,
      MODEL_SOURCE: modelPath,
      MODEL_SHA256: sha256,
      WORKER_GPU: 'cpu',
      // One thread: the specs share two cores with the gateway and the service under test.
      WORKER_THREADS: '1',
      WORKER_SLOTS: '2',
      WORKER_CONTEXT_SIZE: '512',
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
      routing: { statsIntervalMs: 200, statsTimeoutMs: 400 },
      models: [
        {
          id: MODEL_ID,
          aliases: ['fast', 'default'],
          tier: 'cpu-tiny',
          sha256,
          contextLength: 512,
          price: { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 },
          ...(options.embeddings ? { capabilities: ['chat', 'embeddings'] } : {}),
          workers: { endpoints: [worker.address] },
        },
      ],
    }),
  );
  let gateway: ServiceProcess;
  try {
    gateway = await ServiceProcess.start({
      app: 'model-gateway',
      // The gateway's METRICS_PORT must be a real port (ServiceProcess's default 0 is refused).
      env: { MODEL_REGISTRY_PATH: registryPath, METRICS_PORT: String(await freePort()) },
    });
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return {
    worker,
    gateway,
    dir,
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
    HOT_WINDOW_TURNS: '3',
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
  const tenant = await prisma.tenant.create({ data: { name: 'Acme', slug: `acme-${randomUUID()}` } });
  const user = await prisma.user.create({
    data: { tenantId: tenant.id, externalId: `user-${randomUUID()}`, memoryOptIn },
  });
  return {
    tenantId: tenant.id,
    userId: user.id,
    caller: { tenantId: tenant.id, userId: user.id, apiKeyId: randomUUID() },
  };
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
