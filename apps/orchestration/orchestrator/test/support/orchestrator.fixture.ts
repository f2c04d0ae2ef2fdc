// Starts everything a turn touches, for real, once per spec file: an inference worker on the tiny
// GGUF, the model gateway, the safety service and the context service as processes (through their
// main.ts), a fresh migrated PostgreSQL database, the shared Redis and Kafka, and the orchestrator
// itself in the test process (so specs can read its database). Calls go over gRPC with a raw client.
// With `files`, the worker also serves embeddings (mean pooling) and the context service gets a blob
// store, an embedded vector index and the safety service, so files ingest in its process.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, orchestratorConfigSchema } from '@hearth/config';
import { commonV1, contextV1, orchestratorV1 } from '@hearth/contracts';
import type { PrismaClient } from '@hearth/db';
import { createGrpcClient, toGrpcError, type GrpcClient, type GrpcError } from '@hearth/grpc';
import { LocalBlobStore } from '@hearth/retrieval';
import { createLogger } from '@hearth/telemetry';
import {
  createTestDatabase,
  freePort,
  infraEnv,
  ServiceProcess,
  writeTinyGguf,
  type TestDatabase,
} from '@hearth/testing';

import type * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';

import { createOrchestratorApp, type OrchestratorApp } from '../../src/app/orchestrator-app.factory';

/** What the tiny model answers to anything (greedy decoding). */
export const TINY_REPLY = 'Hello there friend';
export const MODEL_ID = 'tiny';
/** The registry id of `StackOptions.embeddingModel`. */
export const EMBEDDING_MODEL_ID = 'embedder';

export interface StackOptions {
  /** Scripted reply; `null` makes the model write words until max_tokens (for mid-stream failures). */
  reply?: string | null;
  orchestratorEnv?: Record<string, string>;
  /** The worker's (and the registry's) context length; default 512. Tool definitions need more. */
  contextSize?: number;
  contextEnv?: Record<string, string>;
  /** Starts a real tool runner on the stack's database with this allowlist policy (YAML document). */
  toolPolicy?: unknown;
  toolRunnerEnv?: Record<string, string>;
  /** Files and retrieval: embeddings on the tiny model, a blob store and vector index for the context service. */
  files?: boolean;
  /**
   * With `files`: embeddings come from this GGUF instead (a second worker and a second registry model,
   * `EMBEDDING_MODEL_ID`, with only the `embeddings` capability); chat stays on the tiny model.
   */
  embeddingModel?: { path: string; contextSize?: number };
  /**
   * Chat on this GGUF (e.g. the real default model at HEARTH_MODEL_PATH) instead of the tiny one,
   * still served as `MODEL_ID` (aliases `fast`, `default`); `contextSize` applies to it. For benches.
   */
  chatModel?: { path: string; workerThreads?: number };
}

export interface FilesClient {
  /** Puts the bytes in the blob store and calls IngestFile, as the BFF does. */
  upload(caller: commonV1.Caller, name: string, content: string): Promise<contextV1.StoredFile>;
  /** Polls GetFile until the file has `status` (60 s at most). */
  waitFor(
    caller: commonV1.Caller,
    fileId: string,
    status: contextV1.FileStatus,
  ): Promise<contextV1.StoredFile>;
}

export interface Tenant {
  tenantId: string;
  userId: string;
  apiKeyId: string;
  caller: commonV1.Caller;
}

export interface TurnOutcome {
  events: orchestratorV1.RunTurnResponse[];
  error?: GrpcError;
  text: string;
  started?: orchestratorV1.TurnStarted;
  finish?: orchestratorV1.TurnFinished;
  failure?: commonV1.ErrorDetail;
}

export interface OrchestratorStack {
  db: TestDatabase;
  prisma: PrismaClient;
  worker: ServiceProcess;
  gateway: ServiceProcess;
  gatewayMetricsPort: number;
  safety: ServiceProcess;
  context: ServiceProcess;
  toolRunner?: ServiceProcess;
  /** Set with `files`. */
  files?: FilesClient;
  orchestrator: OrchestratorApp;
  client: OrchestratorClient;
  /** A tenant row (with the given id, e.g. one a tool policy names) and a user. */
  newTenant(id?: string): Promise<Tenant>;
  newConversation(tenant: Tenant): Promise<string>;
  runTurn(
    request: Partial<orchestratorV1.RunTurnRequest>,
    options?: { deadlineMs?: number },
  ): Promise<TurnOutcome>;
  stream(
    request: Partial<orchestratorV1.RunTurnRequest>,
  ): grpc.ClientReadableStream<orchestratorV1.RunTurnResponse>;
  /** GetTurnTrace with the unset ids empty. */
  getTurnTrace(
    request: Partial<orchestratorV1.GetTurnTraceRequest>,
  ): Promise<orchestratorV1.GetTurnTraceResponse>;
  gatewayRequests(): Promise<number>;
  stop(): Promise<void>;
}

export type OrchestratorClient = GrpcClient<typeof orchestratorV1.OrchestratorServiceDefinition>;

/** The typed client the BFF uses. */
export function orchestratorClient(address: string): OrchestratorClient {
  return createGrpcClient(orchestratorV1.OrchestratorServiceDefinition, {
    address,
    defaultTimeoutMs: 10_000,
  });
}

export function userMessage(text: string): commonV1.ChatMessage {
  return { role: commonV1.Role.ROLE_USER, content: [{ text }], name: '', toolCalls: [], toolCallId: '' };
}

export function turnRequest(
  overrides: Partial<orchestratorV1.RunTurnRequest>,
): orchestratorV1.RunTurnRequest {
  return {
    caller: null,
    requestId: randomUUID(),
    idempotencyKey: '',
    detached: false,
    conversationId: '',
    messages: [userMessage('Hi')],
    model: 'fast',
    sampling: { temperature: 0, stop: [], maxTokens: 16 },
    tools: [],
    serverToolNames: [],
    toolChoice: null,
    responseFormat: null,
    streamOptions: { includeUsage: true },
    maxToolRounds: 0,
    ...overrides,
  };
}

export function collect(
  call: grpc.ClientReadableStream<orchestratorV1.RunTurnResponse>,
): Promise<TurnOutcome> {
  return new Promise((resolve) => {
    const events: orchestratorV1.RunTurnResponse[] = [];
    const done = (error?: grpc.ServiceError) =>
      resolve({
        events,
        error: error && toGrpcError(error, 'orchestrator'),
        text: events.map((event) => event.content?.text ?? '').join(''),
        started: events.find((event) => event.started)?.started ?? undefined,
        finish: events.find((event) => event.finish)?.finish ?? undefined,
        failure: events.find((event) => event.error)?.error ?? undefined,
      });
    call.on('data', (event: orchestratorV1.RunTurnResponse) => events.push(event));
    call.on('error', (error: grpc.ServiceError) => done(error));
    call.on('end', () => done());
  });
}

export async function startOrchestratorStack(options: StackOptions = {}): Promise<OrchestratorStack> {
  const infra = infraEnv();
  const dir = await mkdtemp(join(tmpdir(), 'orchestrator-'));
  const cleanups: (() => Promise<void>)[] = [async () => rm(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  try {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const modelPath = options.chatModel?.path ?? join(dir, 'tiny.gguf');
    if (!options.chatModel) {
      await writeTinyGguf(modelPath, {
        ...(options.reply === null ? {} : { reply: options.reply ?? TINY_REPLY }),
        // Mean pooling: an embedding is the mean of the tokens' states, so lexical overlap gives similarity.
        ...(options.files ? { pooling: 'mean' as const } : {}),
      });
    }
    const sha256 = createHash('sha256')
      .update(await readFile(modelPath))
      .digest('hex');
    const workerPort = await freePort();
    const startWorker = () =>
      ServiceProcess.start({
        app: 'inference-worker',
        port: workerPort,
        // A real model takes longer to load than the tiny one, more so on a busy machine.
        ...(options.chatModel ? { startTimeoutMs: 300_000 } : {}),
        env: {
          MODEL_ID,
          MODEL_SOURCE: modelPath,
          MODEL_SHA256: sha256,
          WORKER_GPU: 'cpu',
          WORKER_THREADS: String(options.chatModel?.workerThreads ?? 1),
          WORKER_SLOTS: '4',
          WORKER_CONTEXT_SIZE: String(options.contextSize ?? 512),
          WORKER_BATCH_SIZE: '256',
          WORKER_QUEUE_MAX: '128',
          WORKER_DRAIN_TIMEOUT_MS: '1000',
        },
      });
    const worker = await startWorker();
    cleanups.push(() => worker.stop());
    const embedding =
      options.files && options.embeddingModel
        ? await startEmbeddingWorker(options.embeddingModel)
        : undefined;
    if (embedding) cleanups.push(() => embedding.worker.stop());
    const registryPath = join(dir, 'registry.yaml');
    await writeFile(
      registryPath,
      stringify({
        version: 1,
        routing: {
          statsIntervalMs: 200,
          statsTimeoutMs: 400,
          maxAttemptsPerModel: 2,
          firstTokenTimeoutMs: options.chatModel ? 120_000 : 10_000,
          breaker: { consecutiveFailures: 2, halfOpenAfterMs: 1_000 },
        },
        models: [
          {
            id: MODEL_ID,
            aliases: ['fast', 'default'],
            tier: 'cpu-tiny',
            sha256,
            contextLength: options.contextSize ?? 512,
            price: { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 },
            ...(options.files && !embedding ? { capabilities: ['chat', 'embeddings'] } : {}),
            workers: { endpoints: [worker.address] },
          },
          ...(embedding
            ? [
                {
                  id: EMBEDDING_MODEL_ID,
                  tier: 'cpu-small',
                  sha256: embedding.sha256,
                  contextLength: embedding.contextSize,
                  price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0 },
                  capabilities: ['embeddings'],
                  workers: { endpoints: [embedding.worker.address] },
                },
              ]
            : []),
        ],
      }),
    );
    const gatewayMetricsPort = await freePort();
    const [gateway, safety] = await Promise.all([
      ServiceProcess.start({
        app: 'model-gateway',
        env: { MODEL_REGISTRY_PATH: registryPath, METRICS_PORT: String(gatewayMetricsPort) },
      }),
      ServiceProcess.start({ app: 'safety-service' }),
    ]);
    cleanups.push(
      () => gateway.stop(),
      () => safety.stop(),
    );
    const filesEnv: Record<string, string> = options.files
      ? {
          BLOB_STORE_DIR: join(dir, 'blobs'),
          VECTOR_STORE_DIR: join(dir, 'vectors'),
          SAFETY_SERVICE_ADDRESS: safety.address,
          EMBEDDING_MODEL: embedding ? EMBEDDING_MODEL_ID : MODEL_ID,
          CHUNK_MAX_TOKENS: '48',
          CHUNK_OVERLAP_TOKENS: '0',
          INGEST_POLL_MS: '200',
          // The tiny model's context is 512 tokens: give retrieved chunks most of what is left.
          CONTEXT_BUDGET_RETRIEVAL_PERCENT: '60',
        }
      : {};
    const context = await ServiceProcess.start({
      app: 'context-service',
      // It hashes and loads the chat model's vocabulary at start-up.
      ...(options.chatModel ? { startTimeoutMs: 300_000 } : {}),
      env: {
        DATABASE_URL: db.url,
        MODEL_GATEWAY_ADDRESS: gateway.address,
        // Token counts in process with the chat model's vocabulary, as npm start runs it.
        TOKENIZER_MODEL_PATHS: modelPath,
        VECTOR_STORE_DIR: join(dir, 'vectors'),
        ...filesEnv,
        ...options.contextEnv,
      },
    });
    cleanups.push(() => context.stop());
    const files = options.files
      ? filesClient(context.address, new LocalBlobStore(join(dir, 'blobs')))
      : undefined;
    if (files) cleanups.push(async () => files.close());
    let toolRunner: ServiceProcess | undefined;
    if (options.toolPolicy !== undefined) {
      const policyPath = join(dir, 'tool-policy.yaml');
      await writeFile(policyPath, stringify(options.toolPolicy));
      toolRunner = await ServiceProcess.start({
        app: 'tool-runner',
        env: { DATABASE_URL: db.url, TOOL_POLICY_PATH: policyPath, ...options.toolRunnerEnv },
      });
      const started = toolRunner;
      cleanups.push(() => started.stop());
    }
    const config = loadConfig(orchestratorConfigSchema, {
      LOG_LEVEL: 'warn',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(await freePort()),
      DATABASE_URL: db.url,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      MODEL_GATEWAY_ADDRESS: gateway.address,
      CONTEXT_SERVICE_ADDRESS: context.address,
      SAFETY_SERVICE_ADDRESS: safety.address,
      ...(toolRunner ? { TOOL_RUNNER_ADDRESS: toolRunner.address } : {}),
      ...options.orchestratorEnv,
    });
    const orchestrator = await createOrchestratorApp(config, {
      logger: createLogger({ service: 'orchestrator', level: 'warn' }),
    });
    cleanups.push(() => orchestrator.close());
    const client = orchestratorClient(orchestrator.address);
    cleanups.push(async () => client.close());

    const stream = (request: Partial<orchestratorV1.RunTurnRequest>, deadlineMs = 60_000) =>
      client.runTurn(turnRequest(request), { timeoutMs: deadlineMs });

    return {
      db,
      prisma: db.prisma,
      worker,
      gateway,
      gatewayMetricsPort,
      safety,
      context,
      toolRunner,
      files,
      orchestrator,
      client,
      stream: (request) => stream(request),
      runTurn: (request, call) => collect(stream(request, call?.deadlineMs)),
      getTurnTrace: (request) => client.getTurnTrace({ caller: null, turnId: '', requestId: '', ...request }),
      newTenant: async (id) => {
        const tenant = await db.prisma.tenant.create({
          data: { ...(id ? { id } : {}), name: 'Test', slug: `t-${randomUUID()}` },
        });
        const user = await db.prisma.user.create({ data: { tenantId: tenant.id, externalId: randomUUID() } });
        const apiKeyId = randomUUID();
        return {
          tenantId: tenant.id,
          userId: user.id,
          apiKeyId,
          caller: { tenantId: tenant.id, userId: user.id, apiKeyId },
        };
      },
      newConversation: async (tenant) =>
        (await db.prisma.conversation.create({ data: { tenantId: tenant.tenantId, userId: tenant.userId } }))
          .id,
      gatewayRequests: async () => {
        const body = await (await fetch(`http://127.0.0.1:${gatewayMetricsPort}/metrics`)).text();
        return body
          .split('\n')
          .filter((line) => line.startsWith('gateway_generate_requests_total'))
          .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** A worker serving a real GGUF for embeddings only: one thread, one slot, a small context. */
async function startEmbeddingWorker(model: { path: string; contextSize?: number }) {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(model.path)) hash.update(piece as Buffer);
  const sha256 = hash.digest('hex');
  const contextSize = model.contextSize ?? 512;
  const worker = await ServiceProcess.start({
    app: 'inference-worker',
    env: {
      MODEL_ID: EMBEDDING_MODEL_ID,
      MODEL_SOURCE: model.path,
      MODEL_SHA256: sha256,
      WORKER_GPU: 'cpu',
      WORKER_THREADS: '1',
      WORKER_SLOTS: '1',
      WORKER_CONTEXT_SIZE: String(contextSize),
      WORKER_BATCH_SIZE: '256',
      WORKER_QUEUE_MAX: '16',
      WORKER_DRAIN_TIMEOUT_MS: '1000',
    },
  });
  return { worker, sha256, contextSize };
}

function filesClient(address: string, blobs: LocalBlobStore): FilesClient & { close(): void } {
  const client = createGrpcClient(contextV1.ContextServiceDefinition, { address, defaultTimeoutMs: 10_000 });
  return {
    upload: async (caller, name, content) => {
      const blob = await blobs.put(caller.tenantId, new TextEncoder().encode(content));
      const { file } = await client.ingestFile({
        caller,
        storageKey: blob.key,
        name,
        purpose: 'assistants',
        declaredType: 'text/plain',
        tenantWide: false,
      });
      if (!file) throw new Error('IngestFile returned no file');
      return file;
    },
    waitFor: async (caller, fileId, status) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { file } = await client.getFile({ caller, fileId });
        if (file?.status === status) return file;
        if (Date.now() > deadline)
          throw new Error(`file ${fileId} is ${file?.status} (${file?.statusDetails}), not ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: () => client.close(),
  };
}
