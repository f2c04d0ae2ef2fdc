// Gateway overhead: the same load sent straight to an inference worker, through a bare grpc-js hop
// (bare-grpc-proxy.ts, the floor any proxy process pays) and through the model gateway, at 1, 16 and
// 64 concurrent streams with max_tokens 1, in one run. Prints TTFT and total latency p50/p99 of each
// path, what it adds over the direct path, and the CPU time the hop process spends per request. Needs
// the local infrastructure (Redis and Kafka, for quotas and metering):
//
//   npm run build   # the worker and the gateway run from their compiled output
//   eval "$(bash deploy/local/infra.sh env)"
//   npx tsx bench/gateway/gateway-overhead.bench.ts [requests-per-level-and-path=640]
//
// Both processes run on the tiny generated GGUF, so the worker's own time is small and the gateway's
// share is visible. Each process is a child; the load generator is this process. Rounds alternate the
// paths so that drift on a shared machine hits all of them alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { commonV1, gatewayV1, inferenceV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';
import { appEntry, freePort, infraEnv, writeTinyGguf } from '@hearth/testing';

import type * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';

const REPO_ROOT = resolve(__dirname, '..', '..');
const LEVELS = [1, 16, 64];
const REQUESTS_PER_LEVEL = Number(process.argv[2] ?? 640);
const WARMUP_REQUESTS = 200;
const ROUNDS = 4;
const TENANT = '6f1d2c3b-4a59-4e68-9d7c-0b1a2f3e4d5c';
const API_KEY = '7a2e3d4c-5b6a-4f79-8e8d-1c2b3a4f5e6d';
// USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux we run on.
const CLOCK_TICKS = 100;

type StreamCall = (
  request: never,
  options: { deadline: number },
) => grpc.ClientReadableStream<{ text: string; tokenIds: number[] }>;

type GatewayClient = GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;

interface Sample {
  ttftMs: number;
  totalMs: number;
}

const gatewayClient = (address: string): GatewayClient =>
  createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, { address });
const workerClient = (address: string) =>
  createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, { address });

/** `node <args>`: an app's compiled entry point (`appEntry`, after `npm run build`) or a script under tsx. */
function startProcess(args: string[], env: Record<string, string>): ChildProcess {
  const entry = args.at(-1);
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null) console.error(`${entry} exited with ${code}:\n${stderr}`);
  });
  return child;
}

/** One request; resolves with its TTFT (first message carrying a token) and total time. */
function timeOne<Req>(call: StreamCall, request: Req): Promise<Sample> {
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

async function runLevel(
  call: StreamCall,
  request: (i: number) => unknown,
  streams: number,
  perStream: number,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  let counter = 0;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      for (let i = 0; i < perStream; i++) samples.push(await timeOne(call, request(counter++)));
    }),
  );
  return samples;
}

/** CPU time (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuTimeMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function waitForStats(address: string, timeoutMs: number): Promise<void> {
  const client = workerClient(address);
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

async function main(): Promise<void> {
  const infra = infraEnv();
  const dir = await mkdtemp(join(tmpdir(), 'gateway-bench-'));
  const modelPath = join(dir, 'tiny.gguf');
  await writeTinyGguf(modelPath, { reply: 'Hello there friend' });
  const sha256 = createHash('sha256')
    .update(await readFile(modelPath))
    .digest('hex');
  const [workerPort, gatewayPort, barePort] = [await freePort(), await freePort(), await freePort()];
  const workerAddress = `127.0.0.1:${workerPort}`;
  const registryPath = join(dir, 'registry.yaml');
  await writeFile(
    registryPath,
    stringify({
      version: 1,
      models: [
        {
          id: 'tiny',
          tier: 'cpu-tiny',
          sha256,
          contextLength: 512,
          price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0.2 },
          workers: { endpoints: [workerAddress] },
        },
      ],
    }),
  );

  const children: ChildProcess[] = [];
  try {
    children.push(
      startProcess([appEntry('inference-worker')], {
        LOG_LEVEL: 'error',
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(workerPort),
        MODEL_ID: 'tiny',
        MODEL_SOURCE: modelPath,
        MODEL_SHA256: sha256,
        WORKER_GPU: 'cpu',
        WORKER_THREADS: '1',
        WORKER_SLOTS: '16',
        WORKER_CONTEXT_SIZE: '256',
        WORKER_QUEUE_MAX: '128',
        METRICS_PORT: '0',
      }),
    );
    await waitForStats(workerAddress, 60_000);
    const gatewayProcess = startProcess([appEntry('model-gateway')], {
      LOG_LEVEL: 'error',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(gatewayPort),
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      MODEL_REGISTRY_PATH: registryPath,
    });
    children.push(gatewayProcess);
    const bareProcess = startProcess(
      ['--import', 'tsx', join(REPO_ROOT, 'bench', 'gateway', 'bare-grpc-proxy.ts')],
      {
        GRPC_PORT: String(barePort),
        WORKER_ADDRESS: workerAddress,
        MODEL_ID: 'tiny',
      },
    );
    children.push(bareProcess);
    const gateway = gatewayClient(`127.0.0.1:${gatewayPort}`);
    const bare = gatewayClient(`127.0.0.1:${barePort}`);
    const worker = workerClient(workerAddress);
    await waitForServing(gateway, 60_000, true);
    await waitForServing(bare, 60_000, false);

    const messages = [
      {
        role: commonV1.Role.ROLE_USER,
        content: [{ text: 'Say hello' }],
        name: '',
        toolCalls: [],
        toolCallId: '',
      },
    ];
    const sampling = { temperature: 0, stop: [], maxTokens: 1 };
    const direct = (i: number): inferenceV1.GenerateRequest => ({
      requestId: `bench-direct-${i}`,
      modelId: 'tiny',
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
      model: 'tiny',
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
    const workerCall: StreamCall = worker.generate;
    const gatewayCall: StreamCall = gateway.generate;
    const bareCall: StreamCall = bare.generate;

    await runLevel(workerCall, direct, 8, WARMUP_REQUESTS / 8);
    await runLevel(gatewayCall, viaGateway, 8, WARMUP_REQUESTS / 8);
    await runLevel(bareCall, viaGateway, 8, WARMUP_REQUESTS / 8);

    const paths = [
      { name: 'worker direct', call: workerCall, request: direct, pid: undefined },
      { name: 'bare grpc-js hop', call: bareCall, request: viaGateway, pid: bareProcess.pid },
      { name: 'model gateway', call: gatewayCall, request: viaGateway, pid: gatewayProcess.pid },
    ];
    const header = [
      'streams',
      'path',
      'requests',
      'TTFT p50',
      'TTFT p99',
      'total p50',
      'total p99',
      'added TTFT p99',
      'added total p99',
      'hop CPU/request',
    ];
    const lines = [
      `| ${header.join(' | ')} |`,
      `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ];
    let offset = 0;
    for (const streams of LEVELS) {
      const perRound = Math.max(2, Math.ceil(REQUESTS_PER_LEVEL / ROUNDS / streams));
      const samples = paths.map(() => [] as Sample[]);
      const cpuMs = paths.map(() => 0);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [index, path] of paths.entries()) {
          const cpuBefore = cpuTimeMs(path.pid);
          const base = offset;
          samples[index].push(
            ...(await runLevel(path.call, (i) => path.request(base + i), streams, perRound)),
          );
          cpuMs[index] += cpuTimeMs(path.pid) - cpuBefore;
          offset += streams * perRound;
        }
      }
      const stat = (list: Sample[], key: keyof Sample, p: number) =>
        percentile(
          list.map((s) => s[key]),
          p,
        );
      const cell = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(2));
      for (const [index, path] of paths.entries()) {
        const list = samples[index];
        const added = (key: keyof Sample) =>
          index === 0 ? '–' : cell(stat(list, key, 99) - stat(samples[0], key, 99));
        const cpu = index === 0 ? '–' : cell(cpuMs[index] / list.length);
        lines.push(
          `| ${streams} | ${path.name} | ${list.length} | ${cell(stat(list, 'ttftMs', 50))} | ${cell(stat(list, 'ttftMs', 99))} | ${cell(stat(list, 'totalMs', 50))} | ${cell(stat(list, 'totalMs', 99))} | ${added('ttftMs')} | ${added('totalMs')} | ${cpu} |`,
        );
      }
    }
    gateway.close();
    bare.close();
    worker.close();

    console.log(
      `\nGateway overhead: max_tokens 1, tiny GGUF, worker with 16 slots and 1 thread, ${ROUNDS} alternating rounds per level; milliseconds\n`,
    );
    for (const line of lines) console.log(line);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
