// One side of the conversation bench: starts the turn path of one checkout (its orchestrator fixture:
// worker on the real default model, gateway, safety and context services as processes, a fresh
// migrated database, the orchestrator in this process), runs a 2-turn warm-up conversation and then
// one conversation of BENCH_TURNS turns with max_tokens 8, one turn after the other, and writes one
// row per turn as JSON to BENCH_OUT. conversation-ttft.bench.ts runs it once per checkout, each in
// a process of its own whose working directory (and so tsx's path mapping of @hearth/*) is that
// checkout, so a side runs only that checkout's code.
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { commonV1, type orchestratorV1 } from '@hearth/contracts';
import { infraEnv } from '@hearth/testing';

type Fixture = typeof import('../../apps/orchestration/orchestrator/test/support/orchestrator.fixture');
type Stack = Awaited<ReturnType<Fixture['startOrchestratorStack']>>;
type Tenant = Awaited<ReturnType<Stack['newTenant']>>;

/** One turn as the client saw it and as its trace recorded it. */
export interface TurnRow {
  turn: number;
  ttftMs: number;
  totalMs: number;
  /** The trace's context step (assembly, including any summary written on the turn's path). */
  contextMs: number;
  promptTokens: number;
  cachedTokens: number;
  /** Which rolling summary served the turn: `v<version> 1..<toSeq>`, or its id where traces have no version. */
  summary: string;
}

export interface SideResult {
  loadBefore: string;
  loadAfter: string;
  summariesWritten: number;
  rows: TurnRow[];
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** One turn through RunTurn: the client's time to its first content event and to the stream's end. */
function timedTurn(
  stack: Stack,
  request: orchestratorV1.RunTurnRequest,
): Promise<{ ttftMs: number; totalMs: number; turnId: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let ttftMs = Number.NaN;
    let turnId = '';
    let failure: string | undefined;
    const call = stack.stream(request);
    call.on('data', (event: orchestratorV1.RunTurnResponse) => {
      if (event.started) turnId = event.started.turnId;
      if (event.content?.text && Number.isNaN(ttftMs)) ttftMs = performance.now() - started;
      if (event.error) failure = event.error.message;
    });
    call.on('error', reject);
    call.on('end', () =>
      failure
        ? reject(new Error(failure))
        : resolve({ ttftMs, totalMs: performance.now() - started, turnId }),
    );
  });
}

async function conversation(
  fixture: Fixture,
  stack: Stack,
  tenant: Tenant,
  turns: number,
  thinkMs: number,
): Promise<TurnRow[]> {
  const conversationId = await stack.newConversation(tenant);
  const rows: TurnRow[] = [];
  for (let turn = 1; turn <= turns; turn++) {
    const { ttftMs, totalMs, turnId } = await timedTurn(
      stack,
      fixture.turnRequest({
        caller: tenant.caller,
        requestId: `bench-${conversationId}-${turn}`,
        conversationId,
        messages: [fixture.userMessage(`Turn ${turn}: tell me one short fact about the number ${turn}.`)],
        sampling: { temperature: 0, stop: [], maxTokens: 8 },
      }),
    );
    // This checkout's fixture has typed clients; the peer checkout's fixture calls by method name.
    const traceRequest = { caller: tenant.caller, turnId };
    const legacy = stack as unknown as {
      unary?: (method: string, request: unknown) => Promise<orchestratorV1.GetTurnTraceResponse>;
    };
    const { trace } = legacy.unary
      ? await legacy.unary('getTurnTrace', traceRequest)
      : await stack.getTurnTrace(traceRequest);
    const stored = await stack.prisma.turnTrace.findUniqueOrThrow({ where: { id: turnId } });
    // A checkout from before summary versions has no `summary` on the trace: name the SUMMARY item.
    const ref = (trace as { summary?: commonV1.SummaryRef | null } | undefined)?.summary;
    const item = trace?.rounds[0]?.prompt.find(
      (m) => m.provenance?.layer === commonV1.ContextLayer.CONTEXT_LAYER_SUMMARY,
    );
    const summary = ref
      ? `${ref.version ? `v${ref.version} 1..${ref.seqEnd}` : '-'}${ref.refreshPending ? ' (due)' : ''}`
      : item
        ? `${item.provenance?.sourceId.slice(0, 8)} 1..${item.provenance?.seqEnd}`
        : '-';
    const row: TurnRow = {
      turn,
      ttftMs,
      totalMs,
      contextMs: (stored.latency as Record<string, number>)['context'] ?? Number.NaN,
      promptTokens: trace?.usage?.promptTokens ?? 0,
      cachedTokens: trace?.usage?.cachedPromptTokens ?? 0,
      summary,
    };
    rows.push(row);
    console.log(
      `  turn ${turn}: ttft ${ttftMs.toFixed(0)} ms, prefilled ${row.promptTokens - row.cachedTokens} tokens, summary ${summary}`,
    );
    if (thinkMs > 0) await sleep(thinkMs);
  }
  return rows;
}

async function main(): Promise<void> {
  const root = process.env['BENCH_SIDE_ROOT'] ?? process.cwd();
  const out = process.env['BENCH_OUT'];
  if (!out) throw new Error('BENCH_OUT (where to write the rows) is not set; run conversation-ttft.bench.ts');
  const turns = Number(process.env['BENCH_TURNS'] ?? 32);
  const thinkMs = Number(process.env['BENCH_THINK_MS'] ?? 0);
  const fixture = (await import(
    join(root, 'apps/orchestration/orchestrator/test/support/orchestrator.fixture.ts')
  )) as Fixture;
  const stack = await fixture.startOrchestratorStack({
    chatModel: {
      path: infraEnv().chatModelPath,
      workerThreads: Number(process.env['BENCH_WORKER_THREADS'] ?? 1),
    },
    contextSize: 4096,
    // A build that summarizes on the turn's path needs more than the step's default deadline for it.
    orchestratorEnv: { TURN_STEP_TIMEOUT_MS: '120000' },
  });
  try {
    const tenant = await stack.newTenant();
    console.log('  warm-up (2 turns)');
    await conversation(fixture, stack, tenant, 2, 0); // JIT, connections, the worker's first decode
    const loadBefore = load();
    const rows = await conversation(fixture, stack, tenant, turns, thinkMs);
    const result: SideResult = {
      loadBefore,
      loadAfter: load(),
      summariesWritten: await stack.prisma.conversationSummary.count(),
      rows,
    };
    await writeFile(out, JSON.stringify(result));
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
