// Gateway overhead next to a peer gateway, one run, one model: llama-server called directly and through
// LiteLLM's proxy (OpenAI HTTP, streamed), and our inference worker called directly, through a bare
// grpc-js hop and through the model gateway (gRPC, streamed), at 1 and 4 concurrent streams. Prints
// TTFT p50/p99 of each path, what each hop adds over its own backend called directly, and the CPU time
// each hop's process tree spends per request; then our gateway against LiteLLM (CPU ratio, added TTFT)
// and against the bare hop. Needs the local infrastructure (Redis and Kafka, for the gateway's quotas
// and metering), a llama-server (bench/peers/build-llama-server.sh) and LiteLLM
// (bench/peers/install-litellm.sh):
//
//   npm run build   # the worker and the gateway run from their compiled output
//   eval "$(bash deploy/local/infra.sh env)"
//   LLAMA_SERVER_BIN=/path/to/llama-server LITELLM_BIN=.local/venvs/litellm/bin/litellm \
//     npx tsx bench/gateway/peer-overhead.bench.ts [model.gguf] [requests-per-level-and-path=160]
//
// The model defaults to HEARTH_CHAT_MODEL_PATH (SmolLM2 135M Instruct). Both backends get the same
// GGUF, one thread and 4 slots of 1,024 tokens; the same prompt every request, so both reuse the cached
// prompt and the model's share of TTFT stays small. Rounds alternate the five paths so that drift on a
// shared machine hits all of them alike; only one backend works at a time.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, infraEnv } from '@hearth/testing';

import { stringify } from 'yaml';

import { loadedCpuBackends } from '../support/cpu-backend';
import { streamTtft } from '../support/sse-ttft';
import {
  measureLevel,
  percentile,
  REPO_ROOT,
  runLevel,
  startGrpcPaths,
  startProcess,
  tableHead,
  type PathUnderTest,
  type Sample,
} from './gateway-paths';

const LEVELS = [1, 4];
const ROUNDS = 4;
const WARMUP_PER_PATH = 40;
const THREADS = 1;
const SLOTS = 4;
const CONTEXT_PER_SLOT = 1024;
const MAX_TOKENS = Number(process.env.BENCH_MAX_TOKENS ?? 4);
const PROMPT = 'Say hello to the team in one short sentence.';
const MODEL_ID = 'bench-model';
const LITELLM_KEY = 'sk-bench-peer-overhead';

const model = process.argv[2] ?? process.env.HEARTH_CHAT_MODEL_PATH;
const requestsPerLevel = Number(process.argv[3] ?? 160);

/** Requests per HTTP path sent again because the server had closed their kept-alive connection. */
const resent = new Map<string, number>();

const closedConnection = (error: unknown): boolean =>
  error instanceof Error && (error.cause as { code?: string } | undefined)?.code === 'UND_ERR_SOCKET';

/** One streamed chat completion over HTTP: TTFT to the first content delta, total to `[DONE]`. */
function httpPath(name: string, baseUrl: string, apiKey: string, pid?: number): PathUnderTest {
  const once = async (): Promise<Sample> => {
    const started = performance.now();
    const res = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        model: MODEL_ID,
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: MAX_TOKENS,
        temperature: 0,
        stream: true,
      }),
      signal: AbortSignal.timeout(60_000),
    });
    const ttftMs = await streamTtft(res, started);
    return { ttftMs, totalMs: performance.now() - started };
  };
  return {
    name,
    pid,
    run: async () => {
      // A pooled connection that idled past the server's keep-alive while the other paths ran may be
      // closed under a request: such a request is sent again (up to four times, one per pooled
      // connection at 4 streams) and counted; a failed attempt is not a sample.
      for (let attempt = 1; ; attempt++) {
        try {
          return await once();
        } catch (error) {
          if (!closedConnection(error) || attempt > 4) {
            throw new Error(`${name}: ${String(error)}`, { cause: error });
          }
          resent.set(name, (resent.get(name) ?? 0) + 1);
        }
      }
    },
  };
}

async function waitForHttp(url: string, what: string): Promise<void> {
  const until = Date.now() + 180_000;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what} did not become ready at ${url}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function litellmBin(): string {
  const fallback = join(REPO_ROOT, '.local', 'venvs', 'litellm', 'bin', 'litellm');
  const bin = process.env.LITELLM_BIN ?? (existsSync(fallback) ? fallback : undefined);
  if (!bin) throw new Error('set LITELLM_BIN (bash bench/peers/install-litellm.sh installs LiteLLM)');
  return bin;
}

const stat = (list: Sample[], p: number) =>
  percentile(
    list.map((s) => s.ttftMs),
    p,
  );
const cell = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(2));

async function main(): Promise<void> {
  if (!model) throw new Error('pass a GGUF path or set HEARTH_CHAT_MODEL_PATH');
  const llamaServer = process.env.LLAMA_SERVER_BIN;
  if (!llamaServer)
    throw new Error('set LLAMA_SERVER_BIN (bash bench/peers/build-llama-server.sh builds it)');
  const dir = await mkdtemp(join(tmpdir(), 'gateway-peer-bench-'));
  const grpcPaths = await startGrpcPaths({
    dir,
    infra: infraEnv(),
    modelId: MODEL_ID,
    modelPath: model,
    threads: THREADS,
    slots: SLOTS,
    contextPerSlot: CONTEXT_PER_SLOT,
    prompt: PROMPT,
    maxTokens: MAX_TOKENS,
  });
  const [llamaPort, litellmPort] = [await freePort(), await freePort()];
  const llama = startProcess(
    llamaServer,
    [
      ...['-m', model, '-a', MODEL_ID, '-t', String(THREADS), '-tb', String(THREADS)],
      ...['-np', String(SLOTS), '-c', String(SLOTS * CONTEXT_PER_SLOT), '--swa-full'],
      ...['--host', '127.0.0.1', '--port', String(llamaPort)],
    ],
    {},
    'llama-server',
  );
  const configPath = join(dir, 'litellm.yaml');
  await writeFile(
    configPath,
    stringify({
      model_list: [
        {
          model_name: MODEL_ID,
          litellm_params: {
            model: `openai/${MODEL_ID}`,
            api_base: `http://127.0.0.1:${llamaPort}/v1`,
            api_key: 'none',
          },
        },
      ],
      litellm_settings: { telemetry: false },
      general_settings: { master_key: LITELLM_KEY },
    }),
  );
  const litellm = startProcess(
    litellmBin(),
    ['--config', configPath, '--host', '127.0.0.1', '--port', String(litellmPort), '--num_workers', '1'],
    {
      // Unset: LiteLLM would take the platform's PostgreSQL for its own (Prisma) tables.
      DATABASE_URL: undefined,
      LITELLM_MASTER_KEY: LITELLM_KEY,
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      LITELLM_LOG: 'ERROR',
      LITELLM_TELEMETRY: 'False',
      NO_DOCS: 'True',
    },
    'litellm',
  );
  try {
    await waitForHttp(`http://127.0.0.1:${llamaPort}/health`, 'llama-server');
    await waitForHttp(`http://127.0.0.1:${litellmPort}/health/liveliness`, 'LiteLLM');

    const paths = [
      httpPath('llama-server direct', `http://127.0.0.1:${llamaPort}`, 'none'),
      httpPath('LiteLLM → llama-server', `http://127.0.0.1:${litellmPort}`, LITELLM_KEY, litellm.pid),
      grpcPaths.direct,
      grpcPaths.bare,
      grpcPaths.gateway,
    ];
    // Each hop's added time is against its own backend called directly.
    const baselineOf = [0, 0, 2, 2, 2];
    for (const path of paths) await runLevel(path, 4, WARMUP_PER_PATH / 4);

    const loadBefore = loadavg()[0];
    const header = [
      'streams',
      'path',
      'requests',
      'TTFT p50',
      'TTFT p99',
      'added TTFT p50',
      'added TTFT p99',
      'hop CPU ms/request',
    ];
    const lines = tableHead(header);
    const summary = [
      '| streams | gateway CPU / LiteLLM CPU | gateway added TTFT p50 / LiteLLM added p50 | gateway p50 − bare hop p50 ms | gateway p99 − bare hop p99 ms |',
      '|---|---:|---:|---:|---:|',
    ];
    let offset = 0;
    for (const streams of LEVELS) {
      const level = await measureLevel(paths, streams, requestsPerLevel, ROUNDS, offset);
      const { samples, cpuMs } = level;
      offset = level.offset;
      const added = (index: number, p: number) =>
        stat(samples[index], p) - stat(samples[baselineOf[index]], p);
      const cpuPerRequest = (index: number) => cpuMs[index] / samples[index].length;
      for (const [index, path] of paths.entries()) {
        const direct = baselineOf[index] === index;
        lines.push(
          `| ${streams} | ${path.name} | ${samples[index].length} | ${cell(stat(samples[index], 50))} | ${cell(stat(samples[index], 99))} | ${direct ? '–' : cell(added(index, 50))} | ${direct ? '–' : cell(added(index, 99))} | ${direct ? '–' : cell(cpuPerRequest(index))} |`,
        );
      }
      const [litellmIndex, bareIndex, gatewayIndex] = [1, 3, 4];
      summary.push(
        `| ${streams} | ${(cpuPerRequest(gatewayIndex) / cpuPerRequest(litellmIndex)).toFixed(3)} | ${(added(gatewayIndex, 50) / added(litellmIndex, 50)).toFixed(3)} | ${cell(stat(samples[gatewayIndex], 50) - stat(samples[bareIndex], 50))} | ${cell(stat(samples[gatewayIndex], 99) - stat(samples[bareIndex], 99))} |`,
      );
    }

    console.log(
      `\nGateway overhead next to LiteLLM: ${model}, max_tokens ${MAX_TOKENS}, streamed, both backends ${THREADS} thread and ${SLOTS} slots of ${CONTEXT_PER_SLOT} tokens, ${ROUNDS} alternating rounds per level; milliseconds; load average ${loadBefore.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end\n`,
    );
    console.log(`CPU backend: worker ${loadedCpuBackends(grpcPaths.workerPid).join(', ') || '?'}`);
    console.log(`CPU backend: llama-server ${loadedCpuBackends(llama.pid).join(', ') || '?'}\n`);
    for (const line of lines) console.log(line);
    console.log('');
    for (const line of summary) console.log(line);
    for (const [name, count] of resent) {
      console.log(`${name}: ${count} requests sent again after the server closed a kept-alive connection`);
    }
  } finally {
    litellm.kill('SIGTERM');
    llama.kill('SIGTERM');
    grpcPaths.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
