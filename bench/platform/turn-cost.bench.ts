// CPU cost of a turn, per service. Starts the whole platform from its compiled output (dist/) against
// the running PostgreSQL, Redis and Kafka: the inference worker on the tiny generated GGUF (plus a
// second one whose model rambles to max_tokens), the gateway, safety, context service, tool runner,
// orchestrator and the BFF, each its own process, on a fresh migrated database reached through a
// statement-counting proxy. Then:
//
// 1. an idle window: each process's CPU while nothing is asked of it (background work: timers,
//    polls, heartbeats), reported as % of one core and subtracted from every phase below;
// 2. phases of N turns through the BFF's OpenAI-compatible API (streamed chat completions):
//    stateless and conversation turns (each client on its own conversations of a few turns),
//    max_tokens 1 and 32, one client and 4 concurrent clients. Per phase and per process: CPU ms per
//    turn (from /proc/<pid>/stat before and after), SQL statements per turn (the proxy's count of
//    Query and Execute messages) and Redis commands per turn (INFO commandstats);
// 3. the peer: the worker's Generate called directly with the same prompt, at 1 and 4 streams, so
//    the TTFT the platform adds (BFF TTFT minus the worker's alone, p50/p99) is printed beside it.
//
// Redis, Kafka and the PostgreSQL server are shared with whatever else runs on the machine; their
// columns are only ours when nothing else uses them during the run.
//
//   npm run build && eval "$(bash deploy/local/infra.sh env)" && npm run bench:turn-cost
//   BENCH_TURNS=200 BENCH_IDLE_SECONDS=20 npm run bench:turn-cost
//
// With BENCH_CPU_PROFILE_DIR=<dir>, every service also records a V8 CPU profile of the first
// BENCH_CPU_PROFILE_SECONDS (15) of the first phase (stateless, max_tokens 1, one client), for
// `tsx bench/platform/cpu-profile.summary.ts <dir>`; the profiler's own cost shows in that phase.
import { loadavg } from 'node:os';

import { inferenceV1 } from '@hearth/contracts';
import { createGrpcClient } from '@hearth/grpc';
import { infraEnv } from '@hearth/testing';

import { Redis } from 'ioredis';

import type { CreatedKey } from '../../apps/experience/bff/src/admin/admin.service';
import { MODEL_ID, startStack, type Stack } from '../../apps/experience/bff/test/support/stack.fixture';
import { bffTurn, createConversation } from '../support/bff-turn';
import { workerTtft } from '../support/worker-ttft';
import { cpuProfileEnv } from './cpu-profile.env';
import { PgStatementProxy } from './pg-statement.proxy';
import { cpuBetween, snapshot, type CpuGroup } from './process-cpu';
import { stackCpuGroups } from './stack-cpu-groups';
import { fmt, PHASES, printTables, type Phase, type PhaseResult } from './turn-cost.report';

const TURNS = Number(process.env['BENCH_TURNS'] ?? 100);
const IDLE_SECONDS = Number(process.env['BENCH_IDLE_SECONDS'] ?? 20);
const TURNS_PER_CONVERSATION = Number(process.env['BENCH_TURNS_PER_CONVERSATION'] ?? 8);
const WARM_UP_TURNS = 12;
const PROFILE_DIR = process.env['BENCH_CPU_PROFILE_DIR'];
const PROFILE_SECONDS = Number(process.env['BENCH_CPU_PROFILE_SECONDS'] ?? 15);
const PROMPT = 'Tell me something about the sea';
/** The peer: the same prompt on the worker's Generate, to its first token. */
const DIRECT = { modelId: MODEL_ID, prompt: PROMPT, temperature: 0, maxTokens: 1, cacheSalt: '' };

async function redisCommandStats(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    out.set(match[1] as string, Number(match[2]));
  return out;
}

/** `clients` loops sharing `turns` turns; each turn's TTFT. */
/** The orchestrator's turn phase histogram (`hearth_turn_phase_duration_seconds`): seconds and turns by phase. */
async function turnPhases(metricsPort: number): Promise<Map<string, { seconds: number; count: number }>> {
  const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out = new Map<string, { seconds: number; count: number }>();
  for (const match of body.matchAll(
    /^hearth_turn_phase_duration_seconds_(sum|count)\{[^}]*phase="([^"]+)"[^}]*\} (\S+)$/gm,
  )) {
    const entry = out.get(match[2] as string) ?? { seconds: 0, count: 0 };
    if (match[1] === 'sum') entry.seconds = Number(match[3]);
    else entry.count = Number(match[3]);
    out.set(match[2] as string, entry);
  }
  return out;
}

async function drive(clients: number, turns: number, turn: (client: number, i: number) => Promise<number>) {
  const ttft: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = next++; i < turns; i = next++) ttft.push(await turn(client, i));
    }),
  );
  return ttft;
}

/** Conversations for a phase: client c's k-th turn goes to conversation (c, k / TURNS_PER_CONVERSATION). */
async function conversationsFor(stack: Stack, key: CreatedKey, phase: Phase, turns: number) {
  const perClient = Math.ceil(turns / phase.clients / TURNS_PER_CONVERSATION) + 1;
  const ids: string[][] = [];
  for (let c = 0; c < phase.clients; c++) {
    const own: string[] = [];
    for (let k = 0; k < perClient; k++) own.push(await createConversation(stack, key));
    ids.push(own);
  }
  return ids;
}

async function runPhase(
  stack: Stack,
  key: CreatedKey,
  phase: Phase,
  turns: number,
  measure: { groups: CpuGroup[]; proxy: PgStatementProxy; redis: Redis; orchestratorMetricsPort: number },
): Promise<PhaseResult> {
  const conversations = phase.kind === 'conversation' ? await conversationsFor(stack, key, phase, turns) : [];
  const turnsOfClient = new Array<number>(phase.clients).fill(0);
  const statementsBefore = measure.proxy.total;
  const redisBefore = await redisCommandStats(measure.redis);
  const phasesBefore = await turnPhases(measure.orchestratorMetricsPort);
  const before = snapshot(measure.groups);
  const started = performance.now();
  // Every prompt is new: the gateway's response cache would answer a repeated one without the model.
  const nonce = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const ttftMs = await drive(phase.clients, turns, (client, i) => {
    const k = turnsOfClient[client]++;
    const conversation = conversations[client]?.[Math.floor(k / TURNS_PER_CONVERSATION)];
    return bffTurn(stack, key, phase.maxTokens, `${PROMPT} (${nonce} ${i})`, conversation);
  });
  const wallMs = performance.now() - started;
  const cpuMs = cpuBetween(before, snapshot(measure.groups));
  const statements = measure.proxy.total - statementsBefore;
  const phaseMs = new Map<string, number>();
  for (const [name, after] of await turnPhases(measure.orchestratorMetricsPort)) {
    const earlier = phasesBefore.get(name) ?? { seconds: 0, count: 0 };
    // Mean over the turns that went through the phase (a turn without tools has no `tools` step).
    if (after.count > earlier.count)
      phaseMs.set(name, ((after.seconds - earlier.seconds) * 1000) / (after.count - earlier.count));
  }
  const redisAfter = await redisCommandStats(measure.redis);
  const redisCommands = new Map<string, number>();
  for (const [command, calls] of redisAfter) {
    const delta = calls - (redisBefore.get(command) ?? 0);
    // INFO itself is the bench's own.
    if (delta > 0 && command !== 'info') redisCommands.set(command, delta);
  }
  return { phase, turns, wallMs, cpuMs, statements, redisCommands, ttftMs, phaseMs };
}

async function main(): Promise<void> {
  const infra = infraEnv();
  const server = new URL(infra.databaseUrl);
  const proxy = await PgStatementProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
  // Every service (and the test database's creation) reaches PostgreSQL through the counting proxy.
  server.hostname = '127.0.0.1';
  server.port = String(proxy.port);
  process.env['DATABASE_URL'] = server.toString();
  const redis = new Redis(infra.redisUrl, { lazyConnect: true });
  await redis.connect();
  const stack = await startStack({
    orchestration: true,
    bffProcess: true,
    longModel: true,
    workerSlots: 4,
    metrics: true,
    // As `npm start` runs it: the served models' vocabularies loaded, no Tokenize round trip.
    localTokenCounts: true,
    ...(PROFILE_DIR && { processEnv: cpuProfileEnv(PROFILE_DIR, PROFILE_SECONDS) }),
  });
  const worker = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
    address: stack.worker.address,
    defaultTimeoutMs: 60_000,
  });
  try {
    const key = await stack.tenant('turn-cost', { rpm: 10_000_000, tpm: 2_000_000_000 });
    const groups = stackCpuGroups(stack, infra.redisUrl);
    const orchestratorMetricsPort = stack.metricsPorts['orchestrator'];
    if (orchestratorMetricsPort === undefined) throw new Error('the orchestrator has no metrics port');
    const measure = { groups, proxy, redis, orchestratorMetricsPort };
    console.log(
      `load average at start: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    // Warm-up: every path once per phase shape (JIT, connection pools, prepared statements, caches).
    for (const phase of PHASES) await runPhase(stack, key, phase, WARM_UP_TURNS, measure);
    await drive(4, 16, (_, i) => workerTtft(worker, i, DIRECT));

    const idleBefore = snapshot(groups);
    const idleStarted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const idleWallMs = performance.now() - idleStarted;
    const idleMs = cpuBetween(idleBefore, snapshot(groups));

    const results: PhaseResult[] = [];
    for (const phase of PHASES) {
      if (PROFILE_DIR && results.length === 0) {
        for (const service of stack.services) {
          console.log(`profiling pid ${service.pid}: ${service.app}`);
          if (service.pid) process.kill(service.pid, 'SIGWINCH');
        }
      }
      results.push(await runPhase(stack, key, phase, TURNS, measure));
      const last = results[results.length - 1] as PhaseResult;
      console.log(
        `${phase.kind} max_tokens ${phase.maxTokens} × ${phase.clients}: ${TURNS} turns in ${fmt(last.wallMs / 1000, 1)} s`,
      );
    }
    const peer: { streams: number; worker: number[]; bff: number[] }[] = [];
    for (const streams of [1, 4]) {
      const direct = await drive(streams, TURNS, (_, i) => workerTtft(worker, i, DIRECT));
      const viaBff = results.find(
        (r) => r.phase.kind === 'stateless' && r.phase.maxTokens === 1 && r.phase.clients === streams,
      );
      peer.push({ streams, worker: direct, bff: viaBff?.ttftMs ?? [] });
    }
    console.log(
      `load average at end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    printTables(
      idleMs,
      idleWallMs,
      results,
      peer,
      groups.map((g) => g.name),
    );
  } finally {
    worker.close();
    await stack.close();
    redis.disconnect();
    await proxy.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
