// BFF benchmarks on the real stack (worker on the tiny GGUF, gateway, safety, context service, tool
// runner and orchestrator as processes, the BFF as its own process, fresh database):
//
// 1. TTFT overhead: time to the first content token of a streamed chat completion through the whole
//    stack (HTTP + SSE → BFF → orchestrator → gateway → worker) versus calling the worker's Generate
//    directly with the same prompt, at 1, 16 and 64 concurrent streams; plus the orchestrator's
//    RunTurn called directly, which separates the BFF's own share (HTTP, auth, rate limit, SSE) from
//    the turn loop's.
// 2. Sustained streams: N concurrent clients stream completions back to back for D seconds; counts
//    errors and samples the BFF process's RSS at the start and the end.
//
//   eval "$(bash deploy/local/infra.sh env)"
//   node --import tsx bench/bff/bff-streams.bench.ts [--levels 1,16,64] [--per-client 4]
//        [--sustained-streams 200] [--sustained-seconds 300] [--skip-ttft] [--skip-sustained]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { commonV1, inferenceV1, orchestratorV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';

import type { CreatedKey } from '../../apps/experience/bff/src/admin/admin.service';
import { MODEL_ID, startStack, type Stack } from '../../apps/experience/bff/test/support/stack.fixture';
import { streamTtft } from '../support/sse-ttft';
import { workerTtft } from '../support/worker-ttft';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '1,16,64' },
    'per-client': { type: 'string', default: '4' },
    'sustained-streams': { type: 'string', default: '200' },
    'sustained-seconds': { type: 'string', default: '300' },
    'max-tokens': { type: 'string', default: '16' },
    'skip-ttft': { type: 'boolean', default: false },
    'skip-sustained': { type: 'boolean', default: false },
  },
});
const LEVELS = args.levels.split(',').map(Number);
const PER_CLIENT = Number(args['per-client']);
const MAX_TOKENS = Number(args['max-tokens']);
const PROMPT = 'Tell me something about the sea';
/** The peer: the same prompt on the worker's Generate. */
const DIRECT = {
  modelId: MODEL_ID,
  prompt: PROMPT,
  temperature: 0.7,
  maxTokens: MAX_TOKENS,
  cacheSalt: 'bench',
};

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

type OrchestratorClient = GrpcClient<typeof orchestratorV1.OrchestratorServiceDefinition>;

/** TTFT of one stateless turn on the orchestrator's RunTurn, read to its end (ms). */
function orchestratorTtft(orchestrator: OrchestratorClient, key: CreatedKey, i: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let first: number | undefined;
    const call = orchestrator.runTurn(
      {
        caller: { tenantId: key.tenantId, userId: key.userId, apiKeyId: key.id },
        requestId: `bench-orch-${i}-${Math.random()}`,
        idempotencyKey: '',
        detached: false,
        conversationId: '',
        parentMessageId: '',
        promptVariant: '',
        messages: [
          {
            role: commonV1.Role.ROLE_USER,
            content: [{ text: PROMPT }],
            name: '',
            toolCalls: [],
            toolCallId: '',
          },
        ],
        model: MODEL_ID,
        sampling: { temperature: 0.7, stop: [], maxTokens: MAX_TOKENS },
        tools: [],
        serverToolNames: [],
        toolChoice: null,
        responseFormat: null,
        streamOptions: { includeUsage: true },
        maxToolRounds: 0,
      },
      { timeoutMs: 60_000 },
    );
    call.on('data', (event: orchestratorV1.RunTurnResponse) => {
      if (first === undefined && event.content?.text) first = performance.now() - started;
    });
    call.on('error', reject);
    call.on('end', () => (first === undefined ? reject(new Error('no content')) : resolve(first)));
  });
}

/** TTFT of one streamed chat completion through the BFF (ms); reads the stream to its end. */
async function bffTtft(stack: Stack, secret: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL_ID,
      messages: [{ role: 'user', content: PROMPT }],
      temperature: 0.7,
      max_completion_tokens: MAX_TOKENS,
      stream: true,
    }),
  });
  return streamTtft(res, started);
}

async function level(clients: number, run: (i: number) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < PER_CLIENT; i++) out.push(await run(c * PER_CLIENT + i));
    }),
  );
  return out;
}

function rssMiB(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? NaN) / 1024;
}

async function ttftTable(stack: Stack, key: CreatedKey): Promise<void> {
  const worker = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
    address: stack.worker.address,
    defaultTimeoutMs: 60_000,
  });
  const orchestrator = createGrpcClient(orchestratorV1.OrchestratorServiceDefinition, {
    address: stack.orchestrator?.address ?? '',
    defaultTimeoutMs: 60_000,
  });
  await level(4, (i) => workerTtft(worker, i, DIRECT));
  await level(4, (i) => orchestratorTtft(orchestrator, key, i));
  await level(4, () => bffTtft(stack, key.secret));
  const f = (values: number[]) =>
    `${percentile(values, 50).toFixed(1)} / ${percentile(values, 99).toFixed(1)}`;
  const diff = (a: number[], b: number[]) =>
    `${(percentile(a, 50) - percentile(b, 50)).toFixed(1)} / ${(percentile(a, 99) - percentile(b, 99)).toFixed(1)}`;
  console.log(
    '\n| concurrent | streams | worker TTFT p50/p99 ms | orchestrator RunTurn TTFT p50/p99 ms | BFF end-to-end TTFT p50/p99 ms | end-to-end overhead vs worker p50/p99 ms | BFF share (vs RunTurn) p50/p99 ms |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const clients of LEVELS) {
    const direct = await level(clients, (i) => workerTtft(worker, i, DIRECT));
    const turn = await level(clients, (i) => orchestratorTtft(orchestrator, key, i));
    const viaBff = await level(clients, () => bffTtft(stack, key.secret));
    console.log(
      `| ${clients} | ${viaBff.length} | ${f(direct)} | ${f(turn)} | ${f(viaBff)} | ${diff(viaBff, direct)} | ${diff(viaBff, turn)} |`,
    );
  }
  worker.close();
  orchestrator.close();
}

async function sustained(stack: Stack, secret: string, streams: number, seconds: number): Promise<void> {
  const pid = stack.bffProcess?.pid;
  const until = Date.now() + seconds * 1000;
  let ok = 0;
  const errors = new Map<string, number>();
  const rssStart = rssMiB(pid);
  const samples: { at: number; rss: number }[] = [{ at: 0, rss: rssStart }];
  const t0 = Date.now();
  const sampler = setInterval(() => samples.push({ at: Date.now() - t0, rss: rssMiB(pid) }), 5_000);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (Date.now() < until) {
        try {
          await bffTtft(stack, secret);
          ok++;
        } catch (error) {
          const key = (error as Error).message.slice(0, 80);
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
      }
    }),
  );
  clearInterval(sampler);
  const rssEnd = rssMiB(pid);
  const elapsed = (performance.now() - started) / 1000;
  console.log(`\nsustained: ${streams} concurrent streams for ${seconds} s (ran ${elapsed.toFixed(0)} s)`);
  console.log(
    `completed streams: ${ok} (${(ok / elapsed).toFixed(1)}/s), errors: ${[...errors.values()].reduce((a, b) => a + b, 0)}`,
  );
  for (const [message, count] of errors) console.log(`  ${count} × ${message}`);
  // Steady state starts once every stream is running: compare the sample at 20 % of the run to the end.
  const warm = samples.find((s) => s.at >= seconds * 200) ?? samples[samples.length - 1];
  console.log(
    `BFF RSS MiB: before load ${rssStart.toFixed(1)}, warm (${((warm?.at ?? 0) / 1000).toFixed(0)} s) ${warm?.rss.toFixed(1)}, ` +
      `end ${rssEnd.toFixed(1)}, max ${Math.max(...samples.map((s) => s.rss)).toFixed(1)}`,
  );
  console.log(
    `RSS samples (s: MiB): ${samples.map((s) => `${(s.at / 1000).toFixed(0)}:${s.rss.toFixed(0)}`).join(' ')}`,
  );
}

async function main(): Promise<void> {
  const streams = Number(args['sustained-streams']);
  const stack = await startStack({
    orchestration: true,
    bffProcess: true,
    workerSlots: 8,
    workerQueueMax: Math.max(256, streams * 2),
  });
  try {
    const key = await stack.tenant('bench', { rpm: 10_000_000, tpm: 2_000_000_000 });
    if (!args['skip-ttft']) await ttftTable(stack, key);
    if (!args['skip-sustained'])
      await sustained(stack, key.secret, streams, Number(args['sustained-seconds']));
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
