// Speculative decoding by prompt lookup, side by side: the compiled worker started twice on the same
// GGUF (WORKER_SPECULATIVE_DRAFTING=off, the peer, and =prompt_lookup), one stream, temperature 0,
// an extractive workload (answers that copy their context: JSON, code, a quoted passage) and a
// free-text one, in rounds that alternate which worker goes first. Prints decode tok/s, the ratio,
// TTFT, the acceptance rate read from the drafting worker's /metrics, and whether both workers wrote
// the same text (they must, at temperature 0).
//
//   npm run build   # the workers run from their compiled output
//   eval "$(bash deploy/local/infra.sh env)"
//   npx tsx bench/inference/speculative.bench.ts [model.gguf …]
//
// Default models: $HEARTH_CHAT_MODEL_PATH (SmolLM2 135M) and $HEARTH_MODEL_PATH (Gemma 3 270M, with
// the chat template the local registry gives it). BENCH_ROUNDS (3), BENCH_THREADS (1: two workers
// and other work share the development machine's 2 cores, and a spinning second thread only adds
// noise), BENCH_MAX_TOKENS (128), BENCH_DRAFT_TOKENS (the worker's default).
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { basename, resolve } from 'node:path';

import { appEntry, freePort, localChatTemplate } from '@hearth/testing';

import type { StreamRequest, StreamResult } from './stream-target';
import { WorkerGrpcTarget } from './worker-grpc.target';

const root = resolve(__dirname, '..', '..');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const threads = Number(process.env.BENCH_THREADS ?? 1);
const maxTokens = Number(process.env.BENCH_MAX_TOKENS ?? 128);
const draftTokens = process.env.BENCH_DRAFT_TOKENS;

const ORDER_JSON = JSON.stringify(
  {
    order_id: 'A-10482',
    customer: { name: 'Maria Lindqvist', email: 'maria.lindqvist@example.com', tier: 'gold' },
    items: [
      { sku: 'KB-204', title: 'Mechanical keyboard', quantity: 1, unit_price: 89.5 },
      { sku: 'MS-310', title: 'Wireless mouse', quantity: 2, unit_price: 24.99 },
      { sku: 'CB-118', title: 'USB-C cable, 2 m', quantity: 3, unit_price: 7.25 },
    ],
    shipping: { method: 'express', address: 'Storgatan 12, 114 55 Stockholm, Sweden' },
    notes: 'Leave the parcel at the reception desk if nobody answers.',
  },
  null,
  2,
);

const CODE = `export function parseDuration(text: string): number {
  const match = /^(\\d+)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(\`invalid duration: \${text}\`);
  const value = Number(match[1]);
  switch (match[2]) {
    case 'ms':
      return value;
    case 's':
      return value * 1000;
    case 'm':
      return value * 60 * 1000;
    default:
      return value * 60 * 60 * 1000;
  }
}`;

const PASSAGE =
  'The harbour office opens at seven in the morning from April to October and at eight during the ' +
  'winter months. Boats longer than twelve metres must report to the harbour master by radio on channel ' +
  '12 before entering the inner basin. Fuel is sold at the north pier until six in the evening; after ' +
  'that, the automatic pump accepts cards only. Guest moorings are allocated on arrival and cannot be ' +
  'reserved in advance, except for regattas registered with the sailing club.';

const EXTRACTIVE: readonly string[] = [
  `Repeat the following JSON exactly as it is, with no other text.\n\n${ORDER_JSON}`,
  `Rename the function parseDuration to durationToMs in this TypeScript code and print the whole code.\n\n${CODE}`,
  `Here is a notice from the harbour:\n\n${PASSAGE}\n\nQuote the notice word for word.`,
];

const FREE_TEXT: readonly string[] = [
  'Write a long, detailed story about a lighthouse keeper.',
  'Explain in detail how a bicycle gear system works.',
  'Write a long letter to a friend about a winter market.',
];

interface Model {
  readonly path: string;
  readonly chatTemplate: string;
}

function models(): Model[] {
  const paths = process.argv.slice(2);
  if (paths.length > 0) return paths.map((path) => ({ path, chatTemplate: templateFor(path) }));
  const found: Model[] = [];
  const chat = process.env.HEARTH_CHAT_MODEL_PATH;
  const gemma = process.env.HEARTH_MODEL_PATH;
  if (chat) found.push({ path: chat, chatTemplate: '' });
  if (gemma) found.push({ path: gemma, chatTemplate: templateFor(gemma) });
  if (found.length === 0) throw new Error('pass GGUF paths or eval "$(bash deploy/local/infra.sh env)"');
  return found;
}

/** Gemma 270M's GGUF has no chat template: render its prompts as the local platform does. */
function templateFor(path: string): string {
  return basename(path).startsWith('gemma-3-270m') ? localChatTemplate('gemma-3-270m') : '';
}

interface Worker {
  readonly drafting: 'off' | 'prompt_lookup';
  readonly target: WorkerGrpcTarget;
  readonly metricsUrl: string;
  readonly process: ChildProcess;
}

async function startWorker(model: Model, drafting: Worker['drafting']): Promise<Worker> {
  const grpcPort = await freePort();
  const metricsPort = await freePort();
  const child = spawn(process.execPath, [appEntry('inference-worker')], {
    cwd: root,
    env: {
      ...process.env,
      MODEL_SOURCE: model.path,
      MODEL_ID: 'default',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      METRICS_PORT: String(metricsPort),
      WORKER_THREADS: String(threads),
      WORKER_SLOTS: '1',
      WORKER_CONTEXT_SIZE: '2048',
      WORKER_GPU: process.env.WORKER_GPU ?? 'auto',
      WORKER_SPECULATIVE_DRAFTING: drafting,
      ...(draftTokens && { WORKER_DRAFT_TOKENS: draftTokens }),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.on('exit', () => child.kill('SIGKILL'));
  const target = new WorkerGrpcTarget(`drafting ${drafting}`, `127.0.0.1:${grpcPort}`, model.chatTemplate);
  const until = Date.now() + 120_000;
  while ((await target.occupancy()) === undefined) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`worker (${drafting}) did not start`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { drafting, target, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, process: child };
}

interface Drafts {
  proposed: number;
  accepted: number;
}

async function drafts(worker: Worker): Promise<Drafts> {
  const text = await (await fetch(worker.metricsUrl)).text();
  const read = (name: string) =>
    Number(new RegExp(`^hearth_inference_${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { proposed: read('draft_tokens_proposed_total'), accepted: read('draft_tokens_accepted_total') };
}

interface Tally {
  decodeMs: number;
  tokens: number;
  ttft: number[];
  texts: string[];
}

const emptyTally = (): Tally => ({ decodeMs: 0, tokens: 0, ttft: [], texts: [] });

let salt = 0;

async function generate(worker: Worker, prompt: string): Promise<StreamResult> {
  const request: StreamRequest = {
    messages: [{ role: 'user', content: prompt }],
    maxTokens,
    // A fresh salt: every request prefills its whole prompt, on both workers alike.
    cacheKey: `spec-${process.pid}-${salt++}`,
  };
  return worker.target.stream(request);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

async function benchModel(model: Model): Promise<string[]> {
  const off = await startWorker(model, 'off');
  const on = await startWorker(model, 'prompt_lookup');
  const rows: string[] = [];
  try {
    for (const [name, prompts] of [
      ['extractive', EXTRACTIVE],
      ['free text', FREE_TEXT],
    ] as const) {
      // Warm-up: one request each (first-call allocations, page cache).
      for (const worker of [off, on]) await generate(worker, prompts[0]);
      const tallies = new Map<Worker, Tally>([
        [off, emptyTally()],
        [on, emptyTally()],
      ]);
      const before = await drafts(on);
      for (let round = 0; round < rounds; round++) {
        for (const prompt of prompts) {
          const order = round % 2 === 0 ? [off, on] : [on, off];
          for (const worker of order) {
            const result = await generate(worker, prompt);
            const tally = tallies.get(worker)!;
            tally.decodeMs += result.totalMs - result.ttftMs;
            tally.tokens += Math.max(0, result.completionTokens - 1);
            tally.ttft.push(result.ttftMs);
            tally.texts.push(result.text);
          }
        }
      }
      const after = await drafts(on);
      const proposed = after.proposed - before.proposed;
      const accepted = after.accepted - before.accepted;
      const offTally = tallies.get(off)!;
      const onTally = tallies.get(on)!;
      const rate = (t: Tally) => (t.tokens / t.decodeMs) * 1000;
      const same = offTally.texts.every((text, i) => text === onTally.texts[i]);
      const meanTokens = onTally.tokens / onTally.texts.length + 1;
      rows.push(
        `| ${basename(model.path)} | ${name} | ${fmt(meanTokens, 0)} | ${fmt(rate(offTally))} | ${fmt(rate(onTally))} | **${fmt(rate(onTally) / rate(offTally), 2)}** | ${fmt(median(offTally.ttft), 0)} | ${fmt(median(onTally.ttft), 0)} | ${proposed} | ${proposed === 0 ? '—' : fmt((accepted / proposed) * 100, 0) + ' %'} | ${same ? 'yes' : 'NO'} |`,
      );
    }
  } finally {
    for (const worker of [off, on]) {
      await worker.target.close();
      worker.process.kill('SIGTERM');
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const load = loadavg();
  const rows: string[] = [];
  for (const model of models()) rows.push(...(await benchModel(model)));
  console.log(
    `\n1 stream, temperature 0, max_tokens ${maxTokens}, ${threads} threads, ${rounds} rounds × 3 prompts per workload, draft tokens ${draftTokens ?? 'default'}; load average at start ${load.map((l) => l.toFixed(2)).join(' ')}, at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  console.log(
    '| model | workload | tokens/answer | tok/s off | tok/s prompt_lookup | ratio | TTFT p50 ms off | TTFT p50 ms on | drafted tokens | accepted | same text |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const row of rows) console.log(row);
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
