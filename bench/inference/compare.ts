// Side-by-side benchmark: our inference worker (gRPC) against llama.cpp's llama-server (OpenAI HTTP),
// same GGUF, same threads, same slots, one run. Prints a table with ratios.
//
//   npm run build   # the worker runs from its compiled output
//   LLAMA_SERVER_BIN=/path/to/llama-server npx tsx bench/inference/compare.ts [model.gguf]
//
// bench/peers/build-llama-server.sh builds that llama-server outside this repository, from the llama.cpp
// source node-llama-cpp ships, with node-llama-cpp's own prebuilt CPU backend files, so both sides run the
// same kernels (the table's header names the file each loaded). Without LLAMA_SERVER_BIN only our worker
// is measured.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { appEntry, freePort } from '@hearth/testing';

import { processCpuMs } from '../platform/process-cpu';
import { loadedCpuBackends } from '../support/cpu-backend';
import { runLoad, type LoadSummary } from './load.driver';
import { OpenAiHttpTarget } from './openai-http.target';
import type { StreamRequest, StreamTarget } from './stream-target';
import { WorkerGrpcTarget } from './worker-grpc.target';

const root = resolve(__dirname, '..', '..');
const model = process.argv[2] ?? process.env.HEARTH_MODEL_PATH;
const threads = Number(process.env.BENCH_THREADS ?? 2);
const slots = Number(process.env.BENCH_SLOTS ?? 8);
const contextPerSlot = Number(process.env.BENCH_CONTEXT ?? 4096);
const maxTokens = Number(process.env.BENCH_MAX_TOKENS ?? 96);
const perWorker = Number(process.env.BENCH_ROUNDS ?? 2);
// A Jinja chat template for a GGUF without one (Gemma 3 270M base): both servers then use it, the worker
// per request and llama-server with --jinja --chat-template-file.
const chatTemplateFile = process.env.BENCH_CHAT_TEMPLATE_FILE;
const concurrencies = (process.env.BENCH_CONCURRENCY ?? '1,4,8').split(',').map(Number);

const TOPICS = [
  'the sea',
  'a lighthouse keeper',
  'a city at night',
  'a long train journey',
  'an old library',
  'a mountain village',
  'a robot gardener',
  'a winter market',
];

// One cache salt for every stream: llama-server shares cached prefixes across all its slots, so the
// load phases put the worker in the same single trust domain (BENCH_SALT=per-stream isolates each
// stream, which the worker supports and llama-server cannot do).
const perStreamSalt = process.env.BENCH_SALT === 'per-stream';

function storyRequest(worker: number, i: number): StreamRequest {
  const topic = TOPICS[(worker + i) % TOPICS.length];
  return {
    messages: [{ role: 'user', content: `Write a long, detailed story about ${topic}.` }],
    maxTokens,
    cacheKey: perStreamSalt ? `w${worker}` : 'bench',
  };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready in ${timeoutMs} ms`);
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  process.on('exit', () => child.kill('SIGKILL'));
  return child;
}

/** A ~2,000-token conversation of `turns` user/assistant exchanges, then a final question. */
function conversation(turns: number): StreamRequest['messages'] {
  const filler =
    'The committee reviewed the quarterly report in detail, covering revenue by region, hiring plans, ' +
    'supplier contracts, the migration of the billing system and the new support rota for the holidays. ';
  const messages: StreamRequest['messages'] = [
    { role: 'system', content: 'You are a concise assistant for a project team.' },
  ];
  for (let t = 0; t < turns; t++) {
    messages.push({
      role: 'user',
      content: `Meeting ${t + 1} notes: ${filler.repeat(3)} Summarise the key decisions.`,
    });
    messages.push({ role: 'assistant', content: `Meeting ${t + 1}: ${filler.repeat(2)}` });
  }
  return messages;
}

interface TurnReuse {
  target: string;
  promptTokens: number;
  coldTtft: number;
  warmTtft: number;
  cachedTokens: number;
}

/**
 * The worker's llama_decode calls and the forward passes (micro-batches) they ran, from its metrics:
 * more passes than decodes are batches llama.cpp split by sequence id or by uneven prompt chunks.
 */
async function decodePasses(metricsPort: number): Promise<{ decodes: number; passes: number }> {
  const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);
  return {
    decodes: value('hearth_inference_decode_calls_total'),
    passes: value('hearth_inference_forward_passes_total'),
  };
}

let saltCounter = 0;
const salt = () => `bench-${process.pid}-${saltCounter++}`;

async function measureReuse(target: StreamTarget): Promise<TurnReuse> {
  const history = conversation(10);
  const question = { role: 'user' as const, content: 'What did meeting 3 decide about billing?' };
  // Cold: the first time either server sees this conversation (and a fresh cache salt for ours).
  const cold = await target.stream({ messages: [...history, question], maxTokens: 8, cacheKey: salt() });
  // Warm: turn N-1 fills a slot, then turn N extends it with one more exchange.
  const key = salt();
  const previous = await target.stream({ messages: history, maxTokens: 8, cacheKey: key });
  const warm = await target.stream({
    messages: [...history, { role: 'assistant', content: previous.text }, question],
    maxTokens: 8,
    cacheKey: key,
  });
  return {
    target: target.name,
    promptTokens: cold.promptTokens,
    coldTtft: cold.ttftMs,
    warmTtft: warm.ttftMs,
    cachedTokens: warm.cachedPromptTokens,
  };
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);

async function main(): Promise<void> {
  if (!model) throw new Error('pass a GGUF path or set HEARTH_MODEL_PATH');
  const targets: StreamTarget[] = [];
  let peerProcess: ChildProcess | undefined;

  const workerPort = await freePort();
  const workerMetricsPort = await freePort();
  const workerProcess = startProcess(process.execPath, [appEntry('inference-worker')], {
    MODEL_SOURCE: model,
    MODEL_ID: 'default',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(workerPort),
    METRICS_PORT: String(workerMetricsPort),
    WORKER_THREADS: String(threads),
    WORKER_SLOTS: String(slots),
    WORKER_CONTEXT_SIZE: String(contextPerSlot),
    WORKER_GPU: process.env.WORKER_GPU ?? 'auto',
    LOG_LEVEL: 'warn',
  });
  const worker = new WorkerGrpcTarget(
    'hearth worker',
    `127.0.0.1:${workerPort}`,
    chatTemplateFile ? readFileSync(chatTemplateFile, 'utf8') : '',
  );
  await waitFor(async () => (await worker.occupancy()) !== undefined, 'inference worker');
  targets.push(worker);

  if (process.env.LLAMA_SERVER_BIN) {
    const port = await freePort();
    peerProcess = startProcess(
      process.env.LLAMA_SERVER_BIN,
      [
        '-m',
        model,
        '-t',
        String(threads),
        '-tb',
        String(threads),
        '-np',
        String(slots),
        '-c',
        String(slots * contextPerSlot),
        '--swa-full',
        ...(chatTemplateFile ? ['--jinja', '--chat-template-file', chatTemplateFile] : []),
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
      ],
      {},
    );
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 'llama-server');
    const peer = new OpenAiHttpTarget('llama-server', `http://127.0.0.1:${port}/v1`);
    targets.push(peer);
  }

  // CPU per generated token, each level: the server process (every thread: ggml's, the event loop, I/O)
  // and this client process (the gRPC or HTTP/SSE client), since all of them share the cores.
  const serverPid = new Map<string, number | undefined>([
    [worker.name, workerProcess.pid],
    ['llama-server', peerProcess?.pid],
  ]);
  const rows: (LoadSummary & {
    serverCpuMsPerToken?: number;
    clientCpuMsPerToken: number;
    passesPerDecode?: number;
  })[] = [];
  for (const concurrency of concurrencies) {
    for (const target of targets) {
      await target.stream(storyRequest(0, 0)); // warm-up
      const pid = serverPid.get(target.name);
      const serverBefore = pid === undefined ? undefined : processCpuMs(pid);
      const clientBefore = process.cpuUsage();
      const passesBefore = target === worker ? await decodePasses(workerMetricsPort) : undefined;
      const row = await runLoad(target, concurrency, perWorker, storyRequest);
      const client = process.cpuUsage(clientBefore);
      const serverAfter = pid === undefined ? undefined : processCpuMs(pid);
      const passesAfter = passesBefore && (await decodePasses(workerMetricsPort));
      rows.push({
        ...row,
        serverCpuMsPerToken:
          serverBefore === undefined || serverAfter === undefined
            ? undefined
            : (serverAfter - serverBefore) / row.completionTokens,
        clientCpuMsPerToken: (client.user + client.system) / 1000 / row.completionTokens,
        passesPerDecode:
          passesBefore && passesAfter
            ? (passesAfter.passes - passesBefore.passes) / (passesAfter.decodes - passesBefore.decodes)
            : undefined,
      });
    }
  }
  const reuse: TurnReuse[] = [];
  for (const target of targets) reuse.push(await measureReuse(target));

  console.log(
    `\nmodel ${model}\nthreads ${threads}, slots ${slots}, context/slot ${contextPerSlot}, max_tokens ${maxTokens}, ${perWorker} requests per stream\n`,
  );
  // Both load their CPU backend from a libggml-cpu-<variant>.so: the same file means the same kernels.
  console.log(`CPU backend: hearth worker ${loadedCpuBackends(workerProcess.pid).join(', ') || '?'}`);
  if (peerProcess)
    console.log(`CPU backend: llama-server ${loadedCpuBackends(peerProcess.pid).join(', ') || '?'}\n`);
  console.log(
    '| streams | target | tok/s | ratio vs llama-server | TTFT p50 ms | TTFT p95 ms | ITL p50 ms | ITL p95 ms | batch occupancy | forward passes per decode | server CPU ms/token | client CPU ms/token |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const peer = rows.find((r) => r.concurrency === row.concurrency && r.target === 'llama-server');
    const ratio = peer ? row.tokensPerSecond / peer.tokensPerSecond : undefined;
    console.log(
      `| ${row.concurrency} | ${row.target} | ${fmt(row.tokensPerSecond)} | ${fmt(ratio, 2)} | ${fmt(row.ttftP50, 0)} | ${fmt(row.ttftP95, 0)} | ${fmt(row.itlP50)} | ${fmt(row.itlP95)} | ${fmt(row.occupancy, 2)} | ${fmt(row.passesPerDecode, 2)} | ${fmt(row.serverCpuMsPerToken, 2)} | ${fmt(row.clientCpuMsPerToken, 2)} |`,
    );
  }
  console.log(
    '\n| multi-turn (turn N) | prompt tokens | cold TTFT ms | reuse TTFT ms | reuse/cold | cached tokens |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of reuse) {
    console.log(
      `| ${r.target} | ${r.promptTokens} | ${fmt(r.coldTtft, 0)} | ${fmt(r.warmTtft, 0)} | ${fmt(r.warmTtft / r.coldTtft, 3)} | ${r.cachedTokens} |`,
    );
  }
  for (const target of targets) await target.close();
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
