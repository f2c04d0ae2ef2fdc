// Idle background CPU per service, and how long a committed outbox event waits for its relay.
// Starts the platform from dist/ as the turn-cost bench does (every service its own process, the
// BFF's stack fixture, the gateway's worker Stats at its production defaults, 1 s and 5 s once idle,
// unless BENCH_STATS_INTERVAL_MS / BENCH_STATS_IDLE_INTERVAL_MS say otherwise), warms every path with
// a few turns, then:
//
// 1. idle windows: BENCH_IDLE_WINDOWS windows of BENCH_IDLE_SECONDS each, every process's CPU
//    (/proc/<pid>/stat) while nothing is asked of it, as % of one core; the table shows each window
//    and their median (the machine is shared: one window can catch a neighbour's burst);
// 2. relay latency: BENCH_RELAY_TURNS conversation turns, one second apart (so every relay is idle
//    when its row commits), and per outbox row they wrote: published_at - created_at (the writer's
//    clock at enqueue, just before its commit, to the relay's clock after Kafka's ack), p50/p99/max.
//
// With BENCH_CPU_PROFILE_DIR, every service records a V8 CPU profile of the first idle window there
// (cpu-profile.hook.cjs, <pid>.cpuprofile; the bench prints which pid is which), for
// `tsx bench/platform/cpu-profile.summary.ts <dir>` to show what the idle CPU is spent on. The
// profiler's own cost shows in that window's numbers.
//
//   npm run build && eval "$(bash deploy/local/infra.sh env)" && npm run bench:idle
//   BENCH_IDLE_WINDOWS=3 BENCH_IDLE_SECONDS=20 npm run bench:idle
import { loadavg } from 'node:os';

import type { CreatedKey } from '../../apps/experience/bff/src/admin/admin.service';
import { MODEL_ID, startStack, type Stack } from '../../apps/experience/bff/test/support/stack.fixture';
import { streamTtft } from '../support/sse-ttft';
import { cpuProfileEnv } from './cpu-profile.env';
import { cpuBetween, pidsMatching, snapshot, type CpuGroup } from './process-cpu';
import { fmt, percentile, SERVICES } from './turn-cost.report';

const WINDOWS = Number(process.env['BENCH_IDLE_WINDOWS'] ?? 3);
const WINDOW_SECONDS = Number(process.env['BENCH_IDLE_SECONDS'] ?? 20);
const STATS_INTERVAL_MS = Number(process.env['BENCH_STATS_INTERVAL_MS'] ?? 1_000);
const STATS_IDLE_INTERVAL_MS = Number(process.env['BENCH_STATS_IDLE_INTERVAL_MS'] ?? 5_000);
const RELAY_TURNS = Number(process.env['BENCH_RELAY_TURNS'] ?? 20);
const PROFILE_DIR = process.env['BENCH_CPU_PROFILE_DIR'];
/** After the warm-up, before the first window: the services' start-up timers and batches settle. */
const SETTLE_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuGroups(stack: Stack): CpuGroup[] {
  return [
    ...stack.services.map((service) => ({
      name: service === stack.worker ? 'inference-worker' : service.app,
      pids: () => (service.pid ? [service.pid] : []),
    })),
    {
      name: 'postgres (bench db)',
      pids: () =>
        pidsMatching((line) => line.startsWith('postgres: ') && line.includes(` ${stack.db.name} `)),
    },
  ];
}

async function turn(stack: Stack, key: CreatedKey, content: string, conversationId?: string): Promise<void> {
  const started = performance.now();
  const res = await fetch(`${stack.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL_ID,
      messages: [{ role: 'user', content }],
      temperature: 0,
      max_completion_tokens: 4,
      stream: true,
      ...(conversationId && { conversation_id: conversationId }),
    }),
  });
  await streamTtft(res, started);
}

async function createConversation(stack: Stack, key: CreatedKey): Promise<string> {
  const res = await fetch(`${stack.baseURL}/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'idle' }),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function idleWindows(groups: CpuGroup[]): Promise<Map<string, number[]>> {
  const percent = new Map<string, number[]>();
  for (let w = 0; w < WINDOWS; w++) {
    const before = snapshot(groups);
    const started = performance.now();
    await sleep(WINDOW_SECONDS * 1_000);
    const wallMs = performance.now() - started;
    for (const [name, ms] of cpuBetween(before, snapshot(groups))) {
      percent.set(name, [...(percent.get(name) ?? []), (100 * ms) / wallMs]);
    }
    console.log(`idle window ${w + 1}/${WINDOWS} done, load average ${loadAverage()}`);
  }
  return percent;
}

/** Milliseconds from enqueue to published of every outbox row created since `since`, by topic. */
async function relayDelays(stack: Stack, since: Date): Promise<{ topic: string; ms: number }[]> {
  return stack.db.prisma.$queryRaw<{ topic: string; ms: number }[]>`
    SELECT topic, (EXTRACT(EPOCH FROM published_at - created_at) * 1000)::float8 AS ms
    FROM outbox_events
    WHERE created_at >= ${since} AND published_at IS NOT NULL`;
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const stack = await startStack({
    orchestration: true,
    bffProcess: true,
    statsIntervalMs: STATS_INTERVAL_MS,
    statsIdleIntervalMs: STATS_IDLE_INTERVAL_MS,
    ...(PROFILE_DIR && { processEnv: cpuProfileEnv(PROFILE_DIR, WINDOW_SECONDS) }),
  });
  try {
    const key = await stack.tenant('idle', { rpm: 10_000_000, tpm: 2_000_000_000 });
    const groups = cpuGroups(stack);
    console.log(`load average at start: ${loadAverage()}`);
    const nonce = Date.now().toString(36);
    const warmConversation = await createConversation(stack, key);
    for (let i = 0; i < 6; i++) {
      await turn(stack, key, `Tell me about the sea (${nonce} ${i})`);
      await turn(stack, key, `Tell me about the sky (${nonce} ${i})`, warmConversation);
    }
    await sleep(SETTLE_MS);

    if (PROFILE_DIR) {
      for (const service of stack.services) {
        console.log(`pid ${service.pid}: ${service.app}`);
        if (service.pid) process.kill(service.pid, 'SIGWINCH');
      }
    }
    const idle = await idleWindows(groups);

    const since = new Date();
    const conversation = await createConversation(stack, key);
    for (let i = 0; i < RELAY_TURNS; i++) {
      await turn(stack, key, `Tell me about the wind (${nonce} ${i})`, conversation);
      await sleep(1_000);
    }
    await sleep(12_000); // the slowest relay poll, so every row is published before reading
    const delays = await relayDelays(stack, since);
    const pending = await stack.db.prisma.outboxEvent.count({ where: { publishedAt: null } });
    console.log(`load average at end: ${loadAverage()}`);

    const names = groups.map((g) => g.name);
    console.log(
      `\nIdle background, % of one core (${WINDOWS} windows of ${WINDOW_SECONDS} s; gateway Stats every ${STATS_INTERVAL_MS} ms, ${STATS_IDLE_INTERVAL_MS} ms idle):\n`,
    );
    console.log(
      `| process | ${Array.from({ length: WINDOWS }, (_, w) => `window ${w + 1}`).join(' | ')} | median |`,
    );
    console.log(`|---|${'---:|'.repeat(WINDOWS + 1)}`);
    for (const name of names) {
      const values = idle.get(name) ?? [];
      const label = SERVICES.includes(name) ? `**${name}**` : name;
      console.log(
        `| ${label} | ${values.map((v) => fmt(v)).join(' | ')} | **${fmt(percentile(values, 50))}** |`,
      );
    }

    console.log(`\nOutbox rows of ${RELAY_TURNS} conversation turns 1 s apart: enqueue to published, ms:\n`);
    console.log('| topic | rows | p50 | p99 | max |');
    console.log('|---|---:|---:|---:|---:|');
    const topics = [...new Set(delays.map((d) => d.topic))].sort();
    for (const topic of [...topics, 'all']) {
      const ms = delays.filter((d) => topic === 'all' || d.topic === topic).map((d) => d.ms);
      console.log(
        `| ${topic} | ${ms.length} | ${fmt(percentile(ms, 50), 1)} | ${fmt(percentile(ms, 99), 1)} | ${fmt(Math.max(...ms), 1)} |`,
      );
    }
    console.log(`\nrows still unpublished: ${pending}`);
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
