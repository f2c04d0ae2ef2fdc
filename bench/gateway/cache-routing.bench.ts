// Cache-aware routing against least-loaded routing, in one run: two inference workers (compiled
// output) behind two model gateways, one with CACHE_AWARE_ROUTING=true and one with false, driven with
// the same multi-tenant trace: 4 tenants, each with its own shared system prompt and 2 conversations
// of a few turns (each turn carries the conversation so far, the previous answers included), all 8
// conversations at once. Rounds alternate the gateways, each with fresh conversations, so drift on a
// shared machine hits both alike. Prints TTFT p50/p90 (all turns and follow-ups alone), throughput and
// the share of prompt tokens the workers served from their prefix caches. Needs the local
// infrastructure (Redis and Kafka, for quotas and metering):
//
//   npm run build   # the workers and the gateways run from their compiled output
//   eval "$(bash deploy/local/infra.sh env)"
//   npx tsx bench/gateway/cache-routing.bench.ts [model.gguf (default: the tiny generated GGUF)] [rounds=2] [turns=4]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { commonV1, gatewayV1, inferenceV1 } from '@hearth/contracts';
import { createGrpcClient, type GrpcClient } from '@hearth/grpc';
import { appEntry, freePort, infraEnv, writeTinyGguf } from '@hearth/testing';

import { stringify } from 'yaml';

import { chatMessage } from '../../apps/inference/model-gateway/test/support/gateway-requests.fixture';
import { percentile, sha256Of, startProcess, tableHead } from './gateway-paths';

const MODEL_PATH = process.argv[2] || undefined;
const ROUNDS = Number(process.argv[3] ?? 2);
const TURNS = Number(process.argv[4] ?? 4);
const TENANTS = 4;
const CONVERSATIONS_PER_TENANT = 2;
const SLOTS = 4;
const CONTEXT_PER_SLOT = 2_048;
const MAX_TOKENS = 16;

type GatewayClient = GrpcClient<typeof gatewayV1.ModelGatewayServiceDefinition>;

interface TurnSample {
  turn: number;
  ttftMs: number;
  promptTokens: number;
  cachedTokens: number;
}

const TOPICS = ['water', 'light', 'earth', 'music', 'school', 'food', 'animal', 'house'];
const uuid = (n: number, salt: number) =>
  `${(0x10000000 + n * 7919 + salt).toString(16).slice(-8)}-1111-4111-8111-${(0x100000000000 + n).toString(16).slice(-12)}`;

/** A tenant's system prompt: about 1,500 characters, shared by all its conversations. */
function systemPrompt(tenant: number): string {
  const rules = [
    'you are the help desk of this company and you answer every question in a few words',
    'think of the people who ask and give them the right answer with care',
    'never write more than one sentence and always use simple words',
    'if you do not know the answer say so and tell them where to look',
  ];
  return `company number ${tenant} ` + Array.from({ length: 5 }, () => rules.join(' and ')).join(' then ');
}

/** A user turn of about 600 characters (a pasted note and a question), so history outweighs the system prompt. */
function userTurn(conversation: number, turn: number): string {
  const topic = TOPICS[(conversation + turn) % TOPICS.length];
  const note = `my note ${turn} of talk ${conversation} says that ${topic} is part of the life of many people in the world today`;
  return `${Array.from({ length: 5 }, () => note).join(' and ')} so tell me more about ${topic} and why it matters`;
}

async function runConversation(
  client: GatewayClient,
  tenant: number,
  conversation: number,
  round: number,
): Promise<TurnSample[]> {
  const caller = { tenantId: uuid(tenant, 1), apiKeyId: uuid(tenant, 2), userId: '' };
  const messages = [chatMessage(commonV1.Role.ROLE_SYSTEM, systemPrompt(tenant))];
  const samples: TurnSample[] = [];
  for (let turn = 0; turn < TURNS; turn++) {
    messages.push(chatMessage(commonV1.Role.ROLE_USER, `${userTurn(conversation, turn)} in round ${round}`));
    const start = performance.now();
    let ttftMs = -1;
    let text = '';
    let usage: commonV1.Usage | null | undefined;
    await new Promise<void>((resolve, reject) => {
      const call = client.generate(
        {
          caller,
          requestId: `${round}-${tenant}-${conversation}-${turn}-${Math.random()}`,
          model: 'bench',
          messages,
          prompt: '',
          sampling: { temperature: 0, stop: [], maxTokens: MAX_TOKENS },
          responseFormat: null,
          tools: [],
          toolChoice: null,
          priority: commonV1.PriorityTier.PRIORITY_TIER_NORMAL,
          cacheSalt: '',
          deadline: null,
          bypassCache: true,
        },
        { timeoutMs: 300_000 },
      );
      call.on('data', (m: gatewayV1.GenerateResponse) => {
        if (ttftMs < 0 && (m.tokenIds.length > 0 || m.text !== '')) ttftMs = performance.now() - start;
        text += m.text;
        if (m.usage) usage = m.usage;
      });
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    messages.push(chatMessage(commonV1.Role.ROLE_ASSISTANT, text));
    samples.push({
      turn,
      ttftMs: ttftMs < 0 ? performance.now() - start : ttftMs,
      promptTokens: usage?.promptTokens ?? 0,
      cachedTokens: usage?.cachedPromptTokens ?? 0,
    });
  }
  return samples;
}

/** Every conversation of the trace at once; the samples and the wall time. */
async function runTrace(
  client: GatewayClient,
  round: number,
): Promise<{ samples: TurnSample[]; wallMs: number }> {
  const start = performance.now();
  const runs: Promise<TurnSample[]>[] = [];
  for (let tenant = 0; tenant < TENANTS; tenant++)
    for (let c = 0; c < CONVERSATIONS_PER_TENANT; c++)
      runs.push(runConversation(client, tenant, tenant * CONVERSATIONS_PER_TENANT + c, round));
  const samples = (await Promise.all(runs)).flat();
  return { samples, wallMs: performance.now() - start };
}

async function waitUntilServing(client: GatewayClient): Promise<void> {
  const caller = { tenantId: uuid(0, 1), apiKeyId: uuid(0, 2), userId: '' };
  const until = Date.now() + 180_000;
  for (;;) {
    const models = await client.listModels({ caller }, { timeoutMs: 1_000 }).catch(() => undefined);
    if (models?.models.some((m) => m.available)) return;
    if (Date.now() > until) throw new Error('the gateway did not find its workers');
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitForWorker(address: string): Promise<void> {
  const client = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, { address });
  const until = Date.now() + 180_000;
  try {
    while (
      !(await client.stats({}, { timeoutMs: 1_000 }).then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > until) throw new Error(`worker at ${address} did not start`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cache-routing-bench-'));
  const modelPath = MODEL_PATH ?? join(dir, 'tiny.gguf');
  if (!MODEL_PATH) await writeTinyGguf(modelPath, {});
  const sha256 = await sha256Of(modelPath);
  const infra = infraEnv();
  const workerPorts = [await freePort()];
  while (workerPorts.length < 2) {
    const port = await freePort();
    if (!workerPorts.includes(port)) workerPorts.push(port);
  }
  const addresses = workerPorts.map((port) => `127.0.0.1:${port}`);
  const registryPath = join(dir, 'registry.yaml');
  await writeFile(
    registryPath,
    stringify({
      version: 1,
      routing: { statsIntervalMs: 250, statsIdleIntervalMs: 1_000 },
      models: [
        {
          id: 'bench',
          tier: 'cpu',
          sha256,
          contextLength: CONTEXT_PER_SLOT,
          price: { inputUsdPerMillionTokens: 0.1, outputUsdPerMillionTokens: 0.2 },
          workers: { endpoints: addresses },
        },
      ],
    }),
  );
  const children = workerPorts.map((port) =>
    startProcess(process.execPath, [appEntry('inference-worker')], {
      LOG_LEVEL: 'error',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      MODEL_ID: 'bench',
      MODEL_SOURCE: modelPath,
      MODEL_SHA256: sha256,
      WORKER_GPU: 'cpu',
      WORKER_THREADS: '1',
      WORKER_SLOTS: String(SLOTS),
      WORKER_CONTEXT_SIZE: String(CONTEXT_PER_SLOT),
      WORKER_QUEUE_MAX: '128',
      METRICS_PORT: '0',
    }),
  );
  const clients: GatewayClient[] = [];
  try {
    await Promise.all(addresses.map(waitForWorker));
    const modes = [
      { name: 'cache-aware', env: { CACHE_AWARE_ROUTING: 'true' } },
      { name: 'least-loaded', env: { CACHE_AWARE_ROUTING: 'false' } },
    ];
    const metricsPorts: number[] = [];
    for (const mode of modes) {
      const port = await freePort();
      const metricsPort = await freePort();
      metricsPorts.push(metricsPort);
      children.push(
        startProcess(process.execPath, [appEntry('model-gateway')], {
          LOG_LEVEL: 'error',
          GRPC_HOST: '127.0.0.1',
          GRPC_PORT: String(port),
          REDIS_URL: infra.redisUrl,
          KAFKA_BROKERS: infra.kafkaBrokers.join(','),
          MODEL_REGISTRY_PATH: registryPath,
          METRICS_PORT: String(metricsPort),
          ...mode.env,
        }),
      );
      const client = createGrpcClient(gatewayV1.ModelGatewayServiceDefinition, {
        address: `127.0.0.1:${port}`,
      });
      clients.push(client);
      await waitUntilServing(client);
    }
    // Warm-up: one round through each, not measured (first decodes, first Stats).
    for (const client of clients) await runTrace(client, -1);

    const results = modes.map(() => ({ samples: [] as TurnSample[], wallMs: 0 }));
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which gateway goes first, so neither always finds the other's caches.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const index of order) {
        const run = await runTrace(clients[index], round * 2 + index);
        results[index].samples.push(...run.samples);
        results[index].wallMs += run.wallMs;
      }
    }

    const lines = tableHead([
      'routing',
      'turns',
      'TTFT p50 ms',
      'TTFT p90 ms',
      'follow-up TTFT p50 ms',
      'follow-up TTFT p90 ms',
      'turns/s',
      'prompt tokens cached',
    ]);
    for (const [index, mode] of modes.entries()) {
      const { samples, wallMs } = results[index];
      const ttft = samples.map((s) => s.ttftMs);
      const followUps = samples.filter((s) => s.turn > 0).map((s) => s.ttftMs);
      const prompt = samples.reduce((sum, s) => sum + s.promptTokens, 0);
      const cached = samples.reduce((sum, s) => sum + s.cachedTokens, 0);
      lines.push(
        `| ${mode.name} | ${samples.length} | ${percentile(ttft, 50).toFixed(1)} | ${percentile(ttft, 90).toFixed(1)} | ${percentile(followUps, 50).toFixed(1)} | ${percentile(followUps, 90).toFixed(1)} | ${((samples.length * 1000) / wallMs).toFixed(2)} | ${((100 * cached) / prompt).toFixed(0)}% |`,
      );
    }
    console.log(
      `model ${MODEL_PATH ?? 'tiny generated GGUF'}; 2 workers × ${SLOTS} slots (1 thread each); ${TENANTS} tenants × ${CONVERSATIONS_PER_TENANT} conversations × ${TURNS} turns at once, ${ROUNDS} rounds per routing, max_tokens ${MAX_TOKENS}`,
    );
    console.log(lines.join('\n'));
    // How the cache-aware gateway decided (warm-up included).
    const metrics = await fetch(`http://127.0.0.1:${metricsPorts[0]}/metrics`).then((r) => r.text());
    console.log(
      metrics
        .split('\n')
        .filter((line) => line.startsWith('gateway_route_decisions_total'))
        .join('\n'),
    );
  } finally {
    for (const client of clients) client.close();
    for (const child of children) child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
