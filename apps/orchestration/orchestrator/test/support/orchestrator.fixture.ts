// Starts everything a turn touches, for real, once per spec file, through libs/testing's platform
// stack: an inference worker on the tiny GGUF, the model gateway, the safety service and the context
// service (and with a tool policy, the tool runner) as processes, a fresh migrated PostgreSQL database,
// the shared Redis and Kafka, and the orchestrator itself in the test process (so specs can read its
// database). Calls go over gRPC with a raw client. With `files`, the worker also serves embeddings
// (mean pooling) and the context service gets small chunks and a fast ingestion loop, so files ingest
// in its process.
import { randomUUID } from 'node:crypto';

import { loadConfig, orchestratorConfigSchema } from '@hearth/config';
import { commonV1, orchestratorV1 } from '@hearth/contracts';
import type { PrismaClient } from '@hearth/db';
import { createGrpcClient, toGrpcError, type GrpcClient, type GrpcError } from '@hearth/grpc';
import { LocalBlobStore } from '@hearth/retrieval';
import { createLogger } from '@hearth/telemetry';
import {
  freePort,
  infraEnv,
  retrievalEnv,
  startPlatformStack,
  type ServiceProcess,
  type StackModel,
  type TestDatabase,
} from '@hearth/testing';

import type * as grpc from '@grpc/grpc-js';

import { createOrchestratorApp, type OrchestratorApp } from '../../src/app/orchestrator-app.factory';
import { filesClient, type FilesClient } from './files.client';

export type { FilesClient } from './files.client';

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
  toolPolicy?: object;
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
  /** Input checks the safety service has answered (hearth_safety_decisions_total{check="input"}). */
  safetyInputChecks(): Promise<number>;
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
    parentMessageId: '',
    promptVariant: '',
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
  const platform = await startPlatformStack({
    name: 'orchestrator',
    models: models(options),
    routing: {
      statsIntervalMs: 200,
      statsIdleIntervalMs: 200,
      statsTimeoutMs: 400,
      maxAttemptsPerModel: 2,
      firstTokenTimeoutMs: options.chatModel ? 120_000 : 10_000,
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 1_000 },
    },
    services: ['safety-service', 'context-service', ...(options.toolPolicy ? ['tool-runner' as const] : [])],
    metrics: ['safety-service'],
    // Token counts in process with the chat model's vocabulary, as npm start runs it.
    tokenizerModels: [MODEL_ID],
    env: {
      'context-service': {
        ...(options.files && retrievalEnv(options.embeddingModel ? EMBEDDING_MODEL_ID : MODEL_ID)),
        ...options.contextEnv,
      },
      ...(options.toolRunnerEnv && { 'tool-runner': options.toolRunnerEnv }),
    },
    ...(options.toolPolicy && { toolPolicy: options.toolPolicy }),
    // A real model takes longer to load than the tiny one, more so on a busy machine.
    ...(options.chatModel && { startTimeoutMs: 300_000 }),
  });
  const cleanups: (() => Promise<void>)[] = [() => platform.close()];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  try {
    const { db, processes } = platform;
    const [safety, context, toolRunner] = [
      processes['safety-service']!,
      processes['context-service']!,
      processes['tool-runner'],
    ];
    const files = options.files
      ? filesClient(context.address, new LocalBlobStore(platform.blobDir))
      : undefined;
    if (files) cleanups.push(async () => files.close());
    const config = loadConfig(orchestratorConfigSchema, {
      LOG_LEVEL: 'warn',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(await freePort()),
      DATABASE_URL: db.url,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      MODEL_GATEWAY_ADDRESS: platform.gateway.address,
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
      worker: platform.models[0]!.worker!,
      gateway: platform.gateway,
      gatewayMetricsPort: platform.gatewayMetricsPort,
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
        const body = await (await fetch(`http://127.0.0.1:${platform.gatewayMetricsPort}/metrics`)).text();
        return body
          .split('\n')
          .filter((line) => line.startsWith('gateway_generate_requests_total'))
          .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      },
      safetyInputChecks: async () => {
        const port = platform.metricsPorts['safety-service'];
        const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return body
          .split('\n')
          .filter(
            (line) => line.startsWith('hearth_safety_decisions_total{') && line.includes('check="input"'),
          )
          .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      },
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** The chat model (tiny unless `chatModel`) and, with files and `embeddingModel`, the embedding one. */
function models(options: StackOptions): StackModel[] {
  // Admission, batching and drain bounds of both workers.
  const workerEnv = (queueMax: number) => ({
    WORKER_BATCH_SIZE: '256',
    WORKER_QUEUE_MAX: String(queueMax),
    WORKER_DRAIN_TIMEOUT_MS: '1000',
  });
  const chat: StackModel = {
    id: MODEL_ID,
    source: options.chatModel
      ? { path: options.chatModel.path }
      : {
          tiny: {
            ...(options.reply === null ? {} : { reply: options.reply ?? TINY_REPLY }),
            // Mean pooling: an embedding is the mean of the tokens' states, so lexical overlap gives similarity.
            ...(options.files ? { pooling: 'mean' as const } : {}),
          },
        },
    worker: {
      contextSize: options.contextSize ?? 512,
      threads: options.chatModel?.workerThreads ?? 1,
      slots: 4,
      env: workerEnv(128),
    },
    registry: {
      aliases: ['fast', 'default'],
      tier: 'cpu-tiny',
      price: { inputUsdPerMillionTokens: 0.5, outputUsdPerMillionTokens: 1.5 },
      ...(options.files && !options.embeddingModel ? { capabilities: ['chat', 'embeddings'] } : {}),
    },
  };
  if (!options.files || !options.embeddingModel) return [chat];
  const embedding: StackModel = {
    id: EMBEDDING_MODEL_ID,
    source: { path: options.embeddingModel.path },
    worker: { contextSize: options.embeddingModel.contextSize ?? 512, slots: 1, env: workerEnv(16) },
    registry: {
      tier: 'cpu-small',
      price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0 },
      capabilities: ['embeddings'],
    },
  };
  return [chat, embedding];
}
