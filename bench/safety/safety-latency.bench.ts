// Latency of the safety checks on a 4 KB input, one thread (run under `taskset -c 0` to pin a core).
// Prints wall-clock p50/p90/p99 and on-CPU p99 per stage (the stream row times each delta) and each stage's p50 as a ratio to a peer measured in the same run:
// NFKC-normalising and lower-casing the same text plus one case-insensitive regex scan, the floor
// any text filter pays. Target: full CheckInput p99 < 2 ms for 4 KB.
//
//   npm run bench:safety            (or: taskset -c 0 npx tsx bench/safety/safety-latency.bench.ts)
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

import { OutputStreamSession } from '../../apps/orchestration/safety-service/src/checks/output-stream.session';
import { SafetyEngine } from '../../apps/orchestration/safety-service/src/checks/safety.engine';
import { InjectionDetector } from '../../apps/orchestration/safety-service/src/detectors/injection/injection.detector';
import { PiiDetector } from '../../apps/orchestration/safety-service/src/detectors/pii/pii.detector';
import { SecretsDetector } from '../../apps/orchestration/safety-service/src/detectors/secrets/secrets.detector';
import { parsePolicy } from '../../apps/orchestration/safety-service/src/policy/policy.loader';
import type { SafetyPolicy } from '../../apps/orchestration/safety-service/src/policy/policy.schema';

const TARGET_BYTES = 4096;
const WARMUP = 300;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3000);

/** A realistic chat turn: prose, a stack trace, config with a key, contact details, numbers. */
const CHAT_PARAGRAPHS = [
  'Hi! I am migrating our billing service from Express to NestJS and the integration tests started failing last night. ',
  'The error shows up only on CI, never locally, which makes me think it is an environment problem rather than code. ',
  'Here is the stack trace:\n  at BillingService.charge (src/billing/billing.service.ts:142:17)\n  at processTicksAndRejections (node:internal/process/task_queues:95:5)\n',
  'Our config looks like this:\n  DATABASE_HOST=db.internal\n  DATABASE_PORT=5432\n  STRIPE_API_VERSION=2023-10-16\n  RETRY_COUNT=5\n',
  'The customer who reported it is Dana Whitfield (dana.whitfield@example.com, +1 415-555-0137); her order #88213 was charged twice. ',
  'We run Node 20.11.1 on Ubuntu 22.04 with Postgres 15.4 and Redis 7.2.4, deployed with Helm 3.14 to a cluster on version 1.29. ',
  'Could you explain how to make the retry idempotent so a second attempt never double-charges, and how to write a test that proves it? ',
  'I would also like to know whether to ignore whitespace changes when reviewing the diff of the migration, since the formatter touched everything. ',
];

function buildInput(paragraphs: readonly string[]): string {
  let text = '';
  for (let i = 0; Buffer.byteLength(text) < TARGET_BYTES; i++) text += paragraphs[i % paragraphs.length];
  return text.slice(0, TARGET_BYTES);
}

const chatInput = buildInput(CHAT_PARAGRAPHS);
/** Numbers everywhere (cards, phones, IBANs, versions, ids), each paragraph with different values. */
function digitHeavyParagraphs(count: number): string[] {
  let seed = 42;
  const digits = (n: number) => {
    let out = '';
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      out += String(seed % 10);
    }
    return out;
  };
  return Array.from(
    { length: count },
    (_, i) =>
      `Invoice 2024-${digits(4)} lines: card 4111 1111 1111 1111, ISBN 978-0-${digits(3)}-${digits(5)}-7, host 10.0.${i}.12, ` +
      `call (212) 555-${digits(4)} or +44 20 7946 ${digits(4)}, v1.${i}.3.4, SSN 123-45-${digits(4)}, ` +
      `IBAN DE89 3704 0044 0532 0130 00, amounts ${digits(2)},${digits(3)}.56, order ${digits(16)}, id ${digits(8)}. `,
  );
}

const digitHeavyInput = buildInput(digitHeavyParagraphs(40));

interface Stats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** p99 of on-CPU time (process.cpuUsage): what the call costs when the core is not shared. */
  cpuP99: number;
}

function percentiles(wall: number[], cpu: number[]): Stats {
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const at = (list: number[], q: number) => list[Math.min(list.length - 1, Math.floor(q * list.length))];
  return {
    p50: at(wall, 0.5),
    p90: at(wall, 0.9),
    p99: at(wall, 0.99),
    max: wall[wall.length - 1],
    cpuP99: at(cpu, 0.99),
  };
}

function timed(fn: () => unknown, wall: number[], cpu: number[]): void {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  fn();
  wall.push(performance.now() - start);
  const used = process.cpuUsage(cpuStart);
  cpu.push((used.user + used.system) / 1000);
}

function measure(fn: () => unknown): Stats {
  for (let i = 0; i < WARMUP; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) timed(fn, wall, cpu);
  return percentiles(wall, cpu);
}

/** Each push() of a 4 KB output streamed in 16-character deltas, as its own sample. */
function measureDeltas(engine: SafetyEngine, policy: SafetyPolicy, canaries: string[], text: string): Stats {
  const wall: number[] = [];
  const cpu: number[] = [];
  const streams = Math.max(4, Math.ceil(ITERATIONS / 256));
  for (let round = 0; round < streams + 2; round++) {
    const session = new OutputStreamSession(engine, policy, canaries);
    for (let i = 0; i < text.length; i += 16) {
      const delta = text.slice(i, i + 16);
      if (round < 2) session.push(delta);
      else timed(() => session.push(delta), wall, cpu);
    }
    session.end();
  }
  return percentiles(wall, cpu);
}

function main(): void {
  const policy = parsePolicy(
    'bench.yaml',
    `tenant: default
version: bench
refusal: "no"
input: { pii: { action: redact }, secrets: { action: redact }, injection: { action: block }, untrusted_injection: { action: redact } }
output: { pii: { action: redact }, secrets: { action: redact }, system_prompt_leak: { action: block } }
`,
  );
  const engine = new SafetyEngine();
  const pii = new PiiDetector();
  const secrets = new SecretsDetector();
  const injection = new InjectionDetector();
  const canaries = ['hc-0123456789abcdef0123'];
  const peerPattern = /ignore (?:all )?previous instructions/i;

  const rows: [string, string, Stats][] = [];
  for (const [inputName, text] of [
    ['chat 4 KB', chatInput],
    ['digit-heavy 4 KB', digitHeavyInput],
  ] as const) {
    const peer = measure(() => peerPattern.test(text.normalize('NFKC').toLowerCase()));
    rows.push([inputName, 'peer: NFKC + lower-case + 1 regex', peer]);
    rows.push([inputName, 'PII detector', measure(() => pii.detect(text, { defaultPhoneRegion: 'US' }))]);
    rows.push([inputName, 'secrets detector', measure(() => secrets.detect(text))]);
    rows.push([
      inputName,
      'injection detector (user)',
      measure(() => injection.detect(text, { untrusted: false })),
    ]);
    rows.push([
      inputName,
      'injection detector (untrusted)',
      measure(() => injection.detect(text, { untrusted: true })),
    ]);
    rows.push([
      inputName,
      'CheckInput (engine, 1 user item)',
      measure(() => engine.checkInput(policy, [{ itemId: 'u1', text, trust: 'user' }])),
    ]);
    rows.push([inputName, 'CheckOutput (engine)', measure(() => engine.checkOutput(policy, text, canaries))]);
    rows.push([
      inputName,
      'stream: one 16-char delta (4 KB stream)',
      measureDeltas(engine, policy, canaries, text),
    ]);
  }

  const peers = new Map(
    rows.filter(([, name]) => name.startsWith('peer')).map(([input, , s]) => [input, s.p50]),
  );
  const header = ['input', 'stage', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'CPU p99 ms', 'p50 / peer'];
  const table = [
    header,
    ...rows.map(([input, name, s]) => [
      input,
      name,
      s.p50.toFixed(3),
      s.p90.toFixed(3),
      s.p99.toFixed(3),
      s.max.toFixed(3),
      s.cpuP99.toFixed(3),
      `${(s.p50 / (peers.get(input) ?? 1)).toFixed(1)}x`,
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  console.log(
    `Safety check latency: ${ITERATIONS} runs after ${WARMUP} warm-up, Node ${process.version}, one thread\n`,
  );
  table.forEach((row, index) => {
    console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
  const checkInput = rows.find(
    ([input, name]) => input === 'chat 4 KB' && name.startsWith('CheckInput'),
  )?.[2];
  const [load1] = loadavg();
  console.log(
    `\nTarget: CheckInput p99 < 2 ms on 4 KB (chat): wall ${checkInput?.p99.toFixed(3)} ms, on-CPU ${checkInput?.cpuP99.toFixed(3)} ms ` +
      `(load average ${load1.toFixed(2)} on ${cpus().length} cores; wall-clock p99 includes time the core ran other work).`,
  );
}

main();
