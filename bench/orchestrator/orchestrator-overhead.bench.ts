// Orchestration overhead per turn: everything a turn costs except the model call. Starts the real
// stack once (worker on the tiny GGUF, gateway, safety and context services as processes, a fresh
// migrated database, the orchestrator in this process), runs conversation turns at 1, 16 and 64
// concurrent turns (each concurrent client on its own conversation), then reads every turn's trace:
// overhead = total turn latency - time spent waiting on the gateway's Generate stream. Prints p50/p99
// of the overhead and of each step, as a table. `client overhead` is measured from the outside: the
// RunTurn call's wall time until its `finish` event, minus the trace's model time (so it includes
// gRPC, the finish statement's round trip and the event stream, which the trace cannot hold).
//
//   eval "$(bash deploy/local/infra.sh env)" && node --import tsx bench/orchestrator/orchestrator-overhead.bench.ts
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';

import {
  startOrchestratorStack,
  userMessage,
  type OrchestratorStack,
  type Tenant,
} from '../../apps/orchestration/orchestrator/test/support/orchestrator.fixture';

const LEVELS = [1, 16, 64];
const TURNS_PER_CLIENT = Number(process.env['TURNS_PER_CLIENT'] ?? 8);
const STEPS = [
  'persist',
  'context',
  'safety_in',
  'safety_out',
  'finalize',
  'first_token',
  'generation',
] as const;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function runLevel(
  stack: OrchestratorStack,
  tenant: Tenant,
  clients: number,
): Promise<{ requestIds: string[]; clientMs: Map<string, number> }> {
  const requestIds: string[] = [];
  const clientMs = new Map<string, number>();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const conversationId = await stack.newConversation(tenant);
      for (let i = 0; i < TURNS_PER_CLIENT; i++) {
        const requestId = randomUUID();
        const started = performance.now();
        const outcome = await stack.runTurn({
          caller: tenant.caller,
          conversationId,
          requestId,
          messages: [userMessage(`Question number ${i}`)],
          sampling: { temperature: 0, stop: [], maxTokens: 8 },
        });
        if (outcome.error || outcome.failure)
          throw new Error(`turn failed: ${outcome.error?.message ?? outcome.failure?.message}`);
        clientMs.set(requestId, performance.now() - started);
        requestIds.push(requestId);
      }
    }),
  );
  return { requestIds, clientMs };
}

async function main(): Promise<void> {
  const stack = await startOrchestratorStack();
  try {
    const tenant = await stack.newTenant();
    await runLevel(stack, tenant, 4); // warm-up: JIT, connection pools, prefix cache
    const rows: string[][] = [];
    const load = () =>
      loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
    console.log(`load average before: ${load()}`);
    for (const clients of LEVELS) {
      const { requestIds, clientMs } = await runLevel(stack, tenant, clients);
      const traces = await stack.prisma.turnTrace.findMany({ where: { requestId: { in: requestIds } } });
      const latency = traces.map((trace) => {
        const steps = trace.latency as Record<string, number>;
        const client = clientMs.get(trace.requestId) ?? 0;
        const all: Record<string, number> = { ...steps, client };
        all['client_overhead'] = Math.max(0, client - (steps['model'] ?? 0));
        return all;
      });
      const col = (key: string, p: number) =>
        percentile(
          latency.map((l) => l[key] ?? 0),
          p,
        ).toFixed(2);
      rows.push([
        String(clients),
        String(traces.length),
        `${col('overhead', 50)} / ${col('overhead', 99)}`,
        `${col('client_overhead', 50)} / ${col('client_overhead', 99)}`,
        `${col('total', 50)} / ${col('total', 99)}`,
        ...STEPS.map((step) => `${col(step, 50)} / ${col(step, 99)}`),
      ]);
    }
    const header = [
      'concurrent',
      'turns',
      'overhead p50/p99',
      'client overhead p50/p99',
      'total p50/p99',
      ...STEPS.map((s) => `${s} p50/p99`),
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
    console.log(line(header));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows) console.log(line(row));
    console.log(`load average after: ${load()}`);
    console.log(
      `\nms; ${TURNS_PER_CLIENT} sequential turns per concurrent client, each client on its own conversation.`,
    );
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
