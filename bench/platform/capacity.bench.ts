// Capacity of the orchestration plane: the sustained turns per second it serves per core while the
// TTFT it adds stays under a p99 budget (50 ms). Starts the platform from dist/ as the turn-cost bench
// does (the BFF's stack fixture, every service its own process, the worker on the tiny generated
// GGUF, the gateway's worker Stats at their production paces) against the running PostgreSQL, Redis
// and Kafka, then runs an open-loop load at increasing rates (BENCH_RATES), each rate a step:
//
// 1. the peer: the worker's Generate called directly at that rate for BENCH_PEER_SECONDS (10), or
//    long enough for BENCH_PEER_TURNS (40) (Poisson arrivals, max_tokens 1, to the first token);
// 2. the same rate of stateless streamed chat completions (max_tokens 1, every prompt new) through
//    the BFF for BENCH_STEP_SECONDS (15), or long enough for BENCH_STEP_TURNS (100): TTFT p50/p99, the TTFT added over the peer (BFF percentile minus
//    the worker's), each process's CPU (/proc/<pid>/stat: ms per turn and % of a core, gross: the
//    services' background counts, as it does on a node), the achieved rate, the machine's busy share.
//
// It stops after a step that falls behind (served under 95 % of the offered rate, or any error), whose
// added p99 passes its limit by another budget, or after two steps in a row over the limit; the limit
// is the larger of the budget and the lowest rate's added p99 plus the budget. Two figures:
// - capacity: the highest rate whose step kept the added p99 under the budget and kept up, as that
//   step's achieved rate divided by the cores the six services on the turn's path (bff,
//   orchestrator, context service, safety service, model gateway, tool runner) used in it (their CPU
//   ms over the step's wall ms, background included);
// - capacity over the lowest rate: the same with the bound at the lowest rate's added p99 plus the
//   budget, i.e. what load may add on top of the platform's fixed share, for a machine whose fixed
//   share alone is over the budget.
//
//   npm run build && eval "$(bash deploy/local/infra.sh env)" && npm run bench:capacity
//   BENCH_RATES=2,4,8 BENCH_STEP_SECONDS=20 npm run bench:capacity
import { cpus, loadavg } from 'node:os';

import { inferenceV1 } from '@hearth/contracts';
import { createGrpcClient } from '@hearth/grpc';
import { infraEnv } from '@hearth/testing';

import { MODEL_ID, startStack } from '../../apps/experience/bff/test/support/stack.fixture';
import { bffTurn } from '../support/bff-turn';
import { openLoop, poissonArrivals } from '../support/open-loop';
import { workerTtft } from '../support/worker-ttft';
import { printStep, printSummary, verdict, type Step, type Verdict } from './capacity.report';
import { cpuBetween, machineCpuTicks, snapshot, type CpuGroup } from './process-cpu';
import { stackCpuGroups } from './stack-cpu-groups';

const RATES = (process.env['BENCH_RATES'] ?? '2,4,8,12,16,24,32,48').split(',').map(Number);
const STEP_SECONDS = Number(process.env['BENCH_STEP_SECONDS'] ?? 15);
const PEER_SECONDS = Number(process.env['BENCH_PEER_SECONDS'] ?? 10);
/** A step lasts long enough for this many turns (a p99 of fewer than 100 is the maximum). */
const STEP_TURNS = Number(process.env['BENCH_STEP_TURNS'] ?? 100);
const PEER_TURNS = Number(process.env['BENCH_PEER_TURNS'] ?? 40);
const BUDGET_MS = Number(process.env['BENCH_ADDED_P99_BUDGET_MS'] ?? 50);
const WARM_UP = { rate: 4, seconds: 5 };
const SEED = 21;
const PROMPT = 'Tell me something about the sea';
const DIRECT = { modelId: MODEL_ID, prompt: PROMPT, temperature: 0, maxTokens: 1, cacheSalt: '' };

type Send = (i: number) => Promise<number>;

/** One rate: the peer, then the BFF with every process's CPU, this process's and the machine's. */
async function runStep(
  rate: number,
  seed: number,
  groups: CpuGroup[],
  send: { direct: Send; viaBff: Send },
): Promise<Step> {
  const peerSeconds = Math.max(PEER_SECONDS, PEER_TURNS / rate);
  const stepSeconds = Math.max(STEP_SECONDS, STEP_TURNS / rate);
  const peer = await openLoop(poissonArrivals(rate, peerSeconds, seed), peerSeconds * 1000, send.direct);
  const before = snapshot(groups);
  const machineBefore = machineCpuTicks();
  const selfBefore = process.cpuUsage();
  const bff = await openLoop(poissonArrivals(rate, stepSeconds, seed), stepSeconds * 1000, send.viaBff);
  const self = process.cpuUsage(selfBefore);
  const machineAfter = machineCpuTicks();
  return {
    rate,
    peer,
    bff,
    cpuMs: cpuBetween(before, snapshot(groups)),
    loadGeneratorMs: (self.user + self.system) / 1000,
    machineBusy:
      (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total),
    cores: cpus().length,
    loadAverage: loadavg()[0] ?? Number.NaN,
  };
}

async function main(): Promise<void> {
  const infra = infraEnv();
  const stack = await startStack({
    orchestration: true,
    bffProcess: true,
    workerSlots: 4,
    statsIntervalMs: 1_000,
    statsIdleIntervalMs: 5_000,
  });
  const worker = createGrpcClient(inferenceV1.InferenceWorkerServiceDefinition, {
    address: stack.worker.address,
    defaultTimeoutMs: 60_000,
  });
  try {
    const key = await stack.tenant('capacity', { rpm: 10_000_000, tpm: 2_000_000_000 });
    const groups = stackCpuGroups(stack, infra.redisUrl);
    // Every prompt is new: the gateway's response cache would answer a repeated one without the model.
    const nonce = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    let sent = 0;
    const viaBff = () => bffTurn(stack, key, 1, `${PROMPT} (${nonce} ${sent++})`);
    const direct = (i: number) => workerTtft(worker, i, DIRECT);
    console.log(`load average at start: ${loadavg()[0]?.toFixed(2)}`);

    const warmUp = poissonArrivals(WARM_UP.rate, WARM_UP.seconds, SEED);
    await openLoop(warmUp, WARM_UP.seconds * 1000, viaBff);
    await openLoop(warmUp, WARM_UP.seconds * 1000, direct);

    const steps: Step[] = [];
    const verdicts: Verdict[] = [];
    let baseline99 = Number.NaN;
    let pastKneeInARow = 0;
    for (const [n, rate] of RATES.entries()) {
      const step = await runStep(rate, SEED + n, groups, { direct, viaBff });
      if (n === 0) baseline99 = verdict(step, BUDGET_MS, 0).added99;
      const v = verdict(step, BUDGET_MS, baseline99);
      steps.push(step);
      verdicts.push(v);
      printStep(step, v, BUDGET_MS);
      // Past both bounds: the absolute budget and what load may add over the lowest rate.
      const limit = Math.max(BUDGET_MS, baseline99 + BUDGET_MS);
      pastKneeInARow = v.added99 < limit ? 0 : pastKneeInARow + 1;
      if (v.behind || v.added99 > limit + BUDGET_MS || pastKneeInARow >= 2) break;
    }
    printSummary(steps, verdicts, BUDGET_MS, baseline99);
  } finally {
    worker.close();
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
