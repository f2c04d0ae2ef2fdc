// What one message per token costs the platform, against the worker pacing its deltas
// (WORKER_STREAM_INTERVAL_MS). Starts the whole platform from its compiled output (dist/) twice side
// by side, each process its own, the answering model a real GGUF at a real model's pace (SmolLM2 135M
// by default, one llama.cpp thread), one stack per interval: 0 (one message per token, the peer) and
// BENCH_STREAM_INTERVAL_MS (20). The same streamed chat completions (max_tokens BENCH_MAX_TOKENS,
// 64) go through each stack's BFF in rounds, one turn per stack per round with the order alternating,
// so whatever else loads the machine falls on both alike. Per interval: the services' CPU ms per turn
// (BFF, orchestrator, context, safety, gateway, tool runner, from /proc/<pid>/stat; it includes each
// process's idle background over the round, about a second per turn, alike in both rows: subtracting
// a rate read before the rounds left more noise than it removed), the worker's,
// content chunks per turn as the client received them, time to first token and to the last token
// (p50), and the largest gap between two chunks a client saw (p50 over turns).
//
//   npm run build && eval "$(bash deploy/local/infra.sh env)" && npx tsx bench/platform/stream-interval.bench.ts
//   BENCH_TURNS=60 BENCH_STREAM_INTERVAL_MS=40 npx tsx bench/platform/stream-interval.bench.ts [model.gguf]
import type { CreatedKey } from '../../apps/experience/bff/src/admin/admin.service';
import { LONG_MODEL_ID, startStack, type Stack } from '../../apps/experience/bff/test/support/stack.fixture';
import { cpuBetween, snapshot, type CpuGroup } from './process-cpu';
import { percentile, SERVICES } from './turn-cost.report';

const TURNS = Number(process.env['BENCH_TURNS'] ?? 40);
const WARM_UP_TURNS = 4;
const MAX_TOKENS = Number(process.env['BENCH_MAX_TOKENS'] ?? 64);
const INTERVAL_MS = Number(process.env['BENCH_STREAM_INTERVAL_MS'] ?? 20);
const MODEL_PATH =
  process.argv[2] ?? process.env['HEARTH_CHAT_MODEL_PATH'] ?? '.local/models/smollm2-135m-instruct-q4_1.gguf';

interface TurnResult {
  ttftMs: number;
  lastTokenMs: number;
  chunks: number;
  maxGapMs: number;
}

interface IntervalStack {
  intervalMs: number;
  stack: Stack;
  key: CreatedKey;
  services: CpuGroup[];
  worker: CpuGroup[];
  turns: TurnResult[];
}

async function turn(stack: Stack, key: CreatedKey, index: number): Promise<TurnResult> {
  const started = performance.now();
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: LONG_MODEL_ID,
      messages: [{ role: 'user', content: `Write a short story about a lighthouse keeper (${index}).` }],
      max_completion_tokens: MAX_TOKENS,
      temperature: 0,
      stream: true,
    }),
  });
  if (res.status !== 200 || !res.body)
    throw new Error(`turn ${index}: HTTP ${res.status} ${await res.text()}`);
  const times: number[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of res.body) {
    buffered += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (!event.startsWith('data: {')) continue;
      const chunk = JSON.parse(event.slice(6)) as { choices?: { delta?: { content?: string } }[] };
      if (chunk.choices?.[0]?.delta?.content) times.push(performance.now() - started);
    }
  }
  if (times.length === 0) throw new Error(`turn ${index}: no content`);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  return {
    ttftMs: times[0]!,
    lastTokenMs: times[times.length - 1]!,
    chunks: times.length,
    maxGapMs: gaps.length > 0 ? Math.max(...gaps) : 0,
  };
}

async function startInterval(intervalMs: number): Promise<IntervalStack> {
  const stack = await startStack({
    orchestration: true,
    bffProcess: true,
    longModel: true,
    longModelPath: MODEL_PATH,
    processEnv: { WORKER_STREAM_INTERVAL_MS: String(intervalMs) },
  });
  const key = await stack.tenant(`stream-interval-${intervalMs}`);
  const group = (app: string): CpuGroup[] =>
    stack.services
      .filter((service) => service.app === app || (app === 'services' && SERVICES.includes(service.app)))
      .map((service) => ({ name: service.app, pids: () => (service.pid ? [service.pid] : []) }));
  const worker: CpuGroup[] = [
    { name: 'inference-worker', pids: () => (stack.longWorker?.pid ? [stack.longWorker.pid] : []) },
  ];
  return { intervalMs, stack, key, services: group('services'), worker, turns: [] };
}

async function main(): Promise<void> {
  const stacks: IntervalStack[] = [];
  try {
    for (const intervalMs of [0, INTERVAL_MS]) {
      console.error(`starting the platform with WORKER_STREAM_INTERVAL_MS=${intervalMs}…`);
      stacks.push(await startInterval(intervalMs));
    }
    for (let i = 0; i < WARM_UP_TURNS; i++) for (const s of stacks) await turn(s.stack, s.key, -1 - i);
    const servicesBefore = stacks.map((s) => snapshot(s.services));
    const workerBefore = stacks.map((s) => snapshot(s.worker));
    console.error(`${TURNS} rounds…`);
    for (let i = 0; i < TURNS; i++)
      for (let k = 0; k < stacks.length; k++) {
        const s = stacks[(i + k) % stacks.length]!;
        s.turns.push(await turn(s.stack, s.key, i));
      }
    const rows = stacks.map((s, k) => {
      const services = cpuBetween(servicesBefore[k]!, snapshot(s.services));
      const worker = cpuBetween(workerBefore[k]!, snapshot(s.worker));
      const sum = (cpu: Map<string, number>) => [...cpu.values()].reduce((a, b) => a + b, 0);
      return {
        intervalMs: s.intervalMs,
        services: sum(services) / TURNS,
        perService: new Map([...services].map(([name, ms]) => [name, ms / TURNS])),
        worker: sum(worker) / TURNS,
        chunks: s.turns.reduce((n, t) => n + t.chunks, 0) / TURNS,
        ttft: percentile(
          s.turns.map((t) => t.ttftMs),
          50,
        ),
        last: percentile(
          s.turns.map((t) => t.lastTokenMs),
          50,
        ),
        maxGap: percentile(
          s.turns.map((t) => t.maxGapMs),
          50,
        ),
      };
    });
    const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
    console.log(
      `\nStream interval: ${TURNS} rounds of streamed turns (max_tokens ${MAX_TOKENS}) on ${MODEL_PATH}, one turn per stack per round\n`,
    );
    console.log(
      row([
        'WORKER_STREAM_INTERVAL_MS',
        'chunks/turn',
        'services CPU ms/turn',
        ...SERVICES,
        'worker CPU ms/turn',
        'TTFT p50 ms',
        'last token p50 ms',
        'largest gap p50 ms',
      ]),
    );
    console.log(row(['---:', '---:', '---:', ...SERVICES.map(() => '---:'), '---:', '---:', '---:', '---:']));
    for (const r of rows)
      console.log(
        row([
          r.intervalMs === 0 ? '0 (peer: one message per token)' : String(r.intervalMs),
          r.chunks.toFixed(1),
          r.services.toFixed(1),
          ...SERVICES.map((name) => (r.perService.get(name) ?? 0).toFixed(1)),
          r.worker.toFixed(1),
          r.ttft.toFixed(1),
          r.last.toFixed(1),
          r.maxGap.toFixed(1),
        ]),
      );
  } finally {
    for (const s of stacks) await s.stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
