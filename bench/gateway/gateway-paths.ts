// Owns the gRPC paths the gateway benches drive and how one request on any path is timed: an inference
// worker (compiled output) called directly, through the bare grpc-js hop (bare-grpc-proxy.ts) and
// through the model gateway (compiled output, with Redis and Kafka for quotas and metering), each hop a
// child process whose pid the benches read CPU time from.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { commonV1, gatewayV1, inferenceV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';
import { appEntry, freePort, type InfraEnv } from '@hearth/testing';

import type * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';

import { processTreeCpuMs } from '../platform/process-cpu';

export const REPO_ROOT = resolve(__dirname, '..', '..');
const TENANT = '6f1d2c3b-4a59-4e68-9d7c-0b1a2f3e4d5c';
const API_KEY = '7a2e3d4c-5b6a-4f79-8e8d-1c2b3a4f5e6d';

export interface Sample {
  ttftMs: number;
  totalMs: number;
}

/** One way to the model: times request `i`; `pid` is the hop process whose CPU the bench reads. */
export interface PathUnderTest {
  name: string;
  run: (i: number) => Promise<Sample>;
  pid?: number;
}

type StreamCall = (
  request: never,
  options: { deadline: number },
) => grpc.ClientReadableStream<{ text: string; tokenIds: number[] }>;

type GatewayClient = GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;

/** A child process (stdout ignored); its stderr tail is printed when it exits with an error. */
export function startProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  name = args.at(-1) ?? command,
): ChildProcess {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${name} exited with ${code}:\n${stderr}`);
  });
  return child;
}

/** One Generate stream; TTFT is the first message carrying a token, total the stream's end. */
function timeGrpcStream(call: StreamCall, request: unknown): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    let ttft = -1;
    const stream = call(request as never, { deadline: Date.now() + 60_000 });
    stream.on('data', (message) => {
      if (ttft < 0 && (message.tokenIds.length > 0 || message.text !== '')) ttft = performance.now() - start;
    });
    stream.on('error', reject);
    stream.on('end', () => {
      const total = performance.now() - start;
      resolvePromise({ ttftMs: ttft < 0 ? total : ttft, totalMs: total });
    });
  });
}

/** `streams` concurrent loops of `perStream` requests each, numbered from `offset`. */
export async function runLevel(
  path: PathUnderTest,
  streams: number,
  perStream: number,
  offset = 0,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  let counter = offset;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      for (let i = 0; i < perStream; i++) samples.push(await path.run(counter++));
    }),
  );
  return samples;
}

/**
 * One concurrency level over every path, in `rounds` alternating rounds (so drift hits all paths
 * alike): each path's samples and the CPU time its process tree spent on them.
 */
export async function measureLevel(
  paths: readonly PathUnderTest[],
  streams: number,
  requests: number,
  rounds: number,
  offset: number,
): Promise<{ samples: Sample[][]; cpuMs: number[]; offset: number }> {
  const perRound = Math.max(2, Math.ceil(requests / rounds / streams));
  const samples = paths.map(() => [] as Sample[]);
  const cpuMs = paths.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (const [index, path] of paths.entries()) {
      const cpuBefore = processTreeCpuMs(path.pid);
      samples[index].push(...(await runLevel(path, streams, perRound, offset)));
      cpuMs[index] += processTreeCpuMs(path.pid) - cpuBefore;
      offset += streams * perRound;
    }
  }
  return { samples, cpuMs, offset };
}

/** A Markdown table's header and separator rows: the first two columns text, the others numbers. */
export function tableHead(header: readonly string[]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function waitForStats(address: string, timeoutMs: number): Promise<void> {
  const client = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, { address });
  const until = Date.now() + timeoutMs;
  try {
    for (;;) {
      const ok = await client.stats({}, { timeoutMs: 500 }).then(
        () => true,
        () => false,
      );
      if (ok) return;
      if (Date.now() > until) throw new Error(`worker at ${address} did not start`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    client.close();
  }
}

async function waitForServing(
  client: GatewayClient,
  timeoutMs: number,
  requireAvailableModel: boolean,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const available = await client
      .listModels({ caller: { tenantId: TENANT, apiKeyId: API_KEY, userId: '' } }, { timeoutMs: 500 })
      .then(
        (response) => !requireAvailableModel || response.models.some((m) => m.available),
        () => false,
      );
    if (available) return;
    if (Date.now() > until) throw new Error('the hop in front of the worker did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface GrpcPathsOptions {
  /** Scratch directory for the gateway's model registry. */
  dir: string;
  infra: InfraEnv;
  modelId: string;
  modelPath: string;
  threads: number;
  slots: number;
  contextPerSlot: number;
  prompt: string;
  maxTokens: number;
  /**
   * Another build's output folder (a copy of `dist/` taken before a change): a second gateway runs
   * from it beside the current one, against the same worker, Redis and Kafka, as the path "model gateway
   * (baseline)", so a change's effect is measured in one run with the rounds alternating.
   */
  baselineDist?: string;
}

export interface GrpcPaths {
  /** The inference worker's process. */
  workerPid: number | undefined;
  direct: PathUnderTest;
  bare: PathUnderTest;
  gateway: PathUnderTest;
  /** The gateway built from `baselineDist`, when one was given. */
  baseline?: PathUnderTest;
  close(): void;
}

/** Starts the worker, the model gateway and the bare hop in front of it; resolves once all serve. */
export async function startGrpcPaths(options: GrpcPathsOptions): Promise<GrpcPaths> {
  const { modelId } = options;
  const sha256 = await sha256Of(options.modelPath);
  const [workerPort, gatewayPort, barePort, baselinePort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const workerAddress = `127.0.0.1:${workerPort}`;
  const registryPath = join(options.dir, 'registry.yaml');
  await writeFile(
    registryPath,
    stringify({
      version: 1,
      models: [
        {
          id: modelId,
          tier: 'cpu-tiny',
          sha256,
          contextLength: options.contextPerSlot,
          price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0.2 },
          workers: { endpoints: [workerAddress] },
        },
      ],
    }),
  );

  const children: ChildProcess[] = [];
  const clients: { close(): void }[] = [];
  const close = () => {
    for (const client of clients) client.close();
    for (const child of children) child.kill('SIGTERM');
  };
  try {
    const workerProcess = startProcess(process.execPath, [appEntry('inference-worker')], {
      LOG_LEVEL: 'error',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(workerPort),
      MODEL_ID: modelId,
      MODEL_SOURCE: options.modelPath,
      MODEL_SHA256: sha256,
      WORKER_GPU: 'cpu',
      WORKER_THREADS: String(options.threads),
      WORKER_SLOTS: String(options.slots),
      WORKER_CONTEXT_SIZE: String(options.contextPerSlot),
      WORKER_QUEUE_MAX: '128',
      METRICS_PORT: '0',
    });
    children.push(workerProcess);
    await waitForStats(workerAddress, 120_000);
    const startGateway = (entry: string, port: number) =>
      startProcess(process.execPath, [entry], {
        LOG_LEVEL: 'error',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        REDIS_URL: options.infra.redisUrl,
        KAFKA_BROKERS: options.infra.kafkaBrokers.join(','),
        MODEL_REGISTRY_PATH: registryPath,
      });
    const gatewayProcess = startGateway(appEntry('model-gateway'), gatewayPort);
    children.push(gatewayProcess);
    const baselineProcess =
      options.baselineDist === undefined
        ? undefined
        : startGateway(
            join(resolve(options.baselineDist), 'apps', 'inference', 'model-gateway', 'src', 'main.js'),
            baselinePort,
          );
    if (baselineProcess) children.push(baselineProcess);
    const bareProcess = startProcess(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bench', 'gateway', 'bare-grpc-proxy.ts')],
      { GRPC_PORT: String(barePort), WORKER_ADDRESS: workerAddress, MODEL_ID: modelId },
    );
    children.push(bareProcess);
    const gateway = createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, {
      address: `127.0.0.1:${gatewayPort}`,
    });
    const bare = createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, {
      address: `127.0.0.1:${barePort}`,
    });
    const worker = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
      address: workerAddress,
    });
    const baselineGateway =
      baselineProcess &&
      createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, { address: `127.0.0.1:${baselinePort}` });
    clients.push(gateway, bare, worker, ...(baselineGateway ? [baselineGateway] : []));
    await waitForServing(gateway, 60_000, true);
    if (baselineGateway) await waitForServing(baselineGateway, 60_000, true);
    await waitForServing(bare, 60_000, false);

    const messages = [
      {
        role: commonV1.Role.ROLE_USER,
        content: [{ text: options.prompt }],
        name: '',
        toolCalls: [],
        toolCallId: '',
      },
    ];
    const sampling = { temperature: 0, stop: [], maxTokens: options.maxTokens };
    const direct = (i: number): inferenceV1.GenerateRequest => ({
      requestId: `bench-direct-${i}`,
      modelId,
      messages,
      prompt: '',
      sampling,
      tools: [],
      priority: commonV1.PriorityTier.PRIORITY_TIER_NORMAL,
      cacheSalt: TENANT,
      chatTemplate: '',
      deadline: new Date(Date.now() + 60_000),
    });
    const runId = Date.now();
    const viaGateway = (i: number): gatewayV1.GenerateRequest => ({
      caller: { tenantId: TENANT, apiKeyId: API_KEY, userId: '' },
      requestId: `bench-${runId}-${i}`,
      model: modelId,
      messages,
      prompt: '',
      sampling,
      tools: [],
      priority: commonV1.PriorityTier.PRIORITY_TIER_NORMAL,
      cacheSalt: '',
      deadline: new Date(Date.now() + 60_000),
      // The cache would answer every repeat without a worker; the point is the routed path.
      bypassCache: true,
    });
    return {
      workerPid: workerProcess.pid,
      direct: { name: 'worker direct', run: (i) => timeGrpcStream(worker.generate, direct(i)) },
      bare: {
        name: 'bare grpc-js hop',
        run: (i) => timeGrpcStream(bare.generate, viaGateway(i)),
        pid: bareProcess.pid,
      },
      gateway: {
        name: 'model gateway',
        run: (i) => timeGrpcStream(gateway.generate, viaGateway(i)),
        pid: gatewayProcess.pid,
      },
      baseline: baselineGateway && {
        name: 'model gateway (baseline)',
        run: (i) => timeGrpcStream(baselineGateway.generate, viaGateway(i)),
        pid: baselineProcess.pid,
      },
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}
