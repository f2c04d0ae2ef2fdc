// Starts a whole worker (config → engine → NestJS gRPC + /metrics) in the spec's process on free
// loopback ports, with the tiny generated GGUF, and calls it through the typed @hearth/grpc client,
// as the gateway does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { inferenceWorkerConfigSchema, loadConfig } from '@hearth/config';
import { healthV1, inferenceV1 } from '@hearth/contracts';
import { createGrpcClient, toGrpcError, type GrpcClient } from '@hearth/grpc';
import { createLogger } from '@hearth/telemetry';
import { freePort, TinyGgufOptions, writeTinyGguf } from '@hearth/testing';

import type * as grpc from '@grpc/grpc-js';

import { createWorkerApp, WorkerApp } from '../src/app/worker-app.factory';

export const TEST_THREADS = process.env.HEARTH_TEST_THREADS ?? '1';

export type WorkerClient = GrpcClient<typeof inferenceV1.InferenceWorkerServiceDefinition>;
export type HealthClient = GrpcClient<typeof healthV1.HealthDefinition>;

/** Typed clients of a worker's own service and of its health service. */
export function workerClients(address: string): { client: WorkerClient; health: HealthClient } {
  return {
    client: createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
      address,
      defaultTimeoutMs: 10_000,
    }),
    health: createGrpcClient(healthV1.HealthDefinition, { address, defaultTimeoutMs: 10_000 }),
  };
}

export interface WorkerFixture {
  readonly worker: WorkerApp;
  readonly client: WorkerClient;
  readonly health: HealthClient;
  close(): Promise<void>;
}

export async function startTinyWorker(
  env: Record<string, string> = {},
  gguf: TinyGgufOptions = {},
): Promise<WorkerFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-worker-'));
  const modelPath = join(dir, 'tiny.gguf');
  await writeTinyGguf(modelPath, gguf);
  const fixture = await startWorker({ MODEL_SOURCE: modelPath, MODEL_ID: 'tiny', ...env });
  return {
    ...fixture,
    close: () => fixture.close().finally(() => rm(dir, { recursive: true, force: true })),
  };
}

/** The small real model of the local infrastructure (HEARTH_MODEL_PATH), served as `gemma-3-270m-it`. */
export function startRealModelWorker(env: Record<string, string> = {}): Promise<WorkerFixture> {
  const path = process.env.HEARTH_MODEL_PATH;
  if (!path)
    throw new Error(
      'HEARTH_MODEL_PATH is not set: run `eval "$(bash deploy/local/infra.sh env)"` (npm test does this)',
    );
  return startWorker({ MODEL_SOURCE: path, MODEL_ID: 'gemma-3-270m-it', ...env });
}

async function startWorker(env: Record<string, string>): Promise<WorkerFixture> {
  const config = loadConfig(inferenceWorkerConfigSchema, {
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(await freePort()),
    METRICS_PORT: '0',
    WORKER_GPU: 'cpu',
    WORKER_THREADS: TEST_THREADS,
    WORKER_SLOTS: '4',
    WORKER_CONTEXT_SIZE: '512',
    WORKER_BATCH_SIZE: '256',
    WORKER_QUEUE_MAX: '8',
    WORKER_DRAIN_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const worker = await createWorkerApp(config, {
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  const { client, health } = workerClients(worker.address);
  return {
    worker,
    client,
    health,
    close: async () => {
      client.close();
      health.close();
      await worker.close();
    },
  };
}

/** Opens a Generate stream (not yet read); the model id defaults to the tiny model's. */
export function openGenerate(
  client: WorkerClient,
  request: Partial<inferenceV1.GenerateRequest>,
  deadlineMs = 30_000,
): grpc.ClientReadableStream<inferenceV1.GenerateResponse> {
  const full: inferenceV1.GenerateRequest = {
    requestId: `test-${Math.random().toString(36).slice(2)}`,
    modelId: 'tiny',
    messages: [],
    prompt: '',
    chatTemplate: '',
    tools: [],
    priority: 0,
    cacheSalt: '',
    ...request,
  };
  return client.generate(full, { timeoutMs: deadlineMs });
}

/** Reads a Generate stream to its end; rejects with the GrpcError (status, reason, message, trailers). */
export function generate(
  client: WorkerClient,
  request: Partial<inferenceV1.GenerateRequest>,
  deadlineMs?: number,
): Promise<inferenceV1.GenerateResponse[]> {
  const stream = openGenerate(client, request, deadlineMs);
  return new Promise((resolve, reject) => {
    const messages: inferenceV1.GenerateResponse[] = [];
    stream.on('data', (message: inferenceV1.GenerateResponse) => messages.push(message));
    stream.on('error', (error: grpc.ServiceError) => reject(toGrpcError(error, client.upstream)));
    stream.on('end', () => resolve(messages));
  });
}

export const userMessage = (text: string): inferenceV1.GenerateRequest['messages'][number] => ({
  role: 3, // ROLE_USER
  content: [{ text }],
  name: '',
  toolCalls: [],
  toolCallId: '',
});

export const assistantMessage = (text: string): inferenceV1.GenerateRequest['messages'][number] => ({
  ...userMessage(text),
  role: 4, // ROLE_ASSISTANT
});

/** The parameters of the get_weather tool the tool-call specs offer (a grammar-constrained call). */
export const weatherParameters = {
  type: 'object',
  properties: {
    city: { type: 'string', maxLength: 24 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer' },
  },
  required: ['city', 'unit', 'days'],
};

export function textOf(messages: readonly inferenceV1.GenerateResponse[]): string {
  return messages.map((m) => m.text).join('');
}

export async function scrapeMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

/** The value of a series (`name{labels} value`) whose labels include `labels`, or 0 when absent. */
export function metricValue(body: string, name: string, labels: Record<string, string> = {}): number {
  const line = body
    .split('\n')
    .find(
      (l) =>
        (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) &&
        Object.entries(labels).every(([key, value]) => l.includes(`${key}="${value}"`)),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
