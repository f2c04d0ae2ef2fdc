// Fault-injection run (`npm run chaos`): starts every platform process from dist/ (the BFF's stack
// fixture: the inference workers on tiny generated GGUFs, the gateway, safety, context service, tool
// runner, orchestrator and the BFF, each its own process) against the running PostgreSQL, Redis and
// Kafka, and for each process in turn keeps CHAOS_CLIENTS streamed chat turns running through the
// official `openai` SDK, SIGKILLs the process mid-answer and starts it again on its port, as Kubernetes
// would. Prints one markdown row per fault (see README.md); exits 1 when an invariant broke: an
// in-flight client that saw no error code, an answer left `streaming`, a charge lost or doubled, no
// recovery, or another process restarted.
import { consumeUsageEvents } from '@hearth/testing';

import {
  FAULT_TABLE_HEADER,
  faultRow,
  runFaultRound,
  type FaultRound,
} from '../../apps/experience/bff/test/support/chaos.probe';
import { LONG_MODEL_ID, startStack } from '../../apps/experience/bff/test/support/stack.fixture';

const CLIENTS = Number(process.env.CHAOS_CLIENTS ?? 3);
const DRAFT_LEASE_MS = Number(process.env.CHAOS_DRAFT_LEASE_MS ?? 6_000);
/** Only these labels (comma-separated), e.g. `orchestrator,bff`; default: every process. */
const ONLY = process.env.CHAOS_ONLY?.split(',').filter(Boolean);

function broken(round: FaultRound): string[] {
  const problems: string[] = [];
  if (round.inFlight.length === 0) problems.push('no turn was in flight');
  for (const turn of round.inFlight)
    // A killed BFF leaves nobody to send an error event: its clients' connections just end.
    if ((turn.kind === 'dropped' && round.app !== 'bff') || (turn.kind === 'error_event' && !turn.code))
      problems.push(`${turn.requestId}: ${turn.kind} without an error code`);
  for (const answer of round.stored)
    if (answer.status === 'streaming' || answer.status === 'missing')
      problems.push(`${answer.requestId}: answer ${answer.status}`);
  if (round.lost.length > 0) problems.push(`charges lost: ${round.lost.join(', ')}`);
  if (round.doubled.length > 0) problems.push(`charges doubled: ${round.doubled.join(', ')}`);
  if (Number.isNaN(round.recoverS)) problems.push('no new turn succeeded within 90 s');
  if (round.othersRestarted.length > 0)
    problems.push(`others restarted: ${round.othersRestarted.join(', ')}`);
  return problems;
}

async function main(): Promise<void> {
  const stack = await startStack({
    orchestration: true,
    longModel: true,
    longWorkerSlots: CLIENTS,
    bffProcess: true,
    orchestratorEnv: { DRAFT_LEASE_MS: String(DRAFT_LEASE_MS), DRAFT_SWEEP_INTERVAL_MS: '1000' },
  });
  const usage = await consumeUsageEvents();
  const rows: string[] = [];
  const problems: string[] = [];
  try {
    const key = await stack.tenant('chaos', { rpm: 1_000_000, tpm: 2_000_000_000 });
    const targets = stack.services.map((service) => ({
      service,
      label:
        service === stack.worker
          ? 'inference-worker (tiny)'
          : service === stack.longWorker
            ? 'inference-worker (streaming)'
            : service.app,
    }));
    for (const { service, label } of targets) {
      if (ONLY && !ONLY.some((only) => label.startsWith(only))) continue;
      process.stderr.write(`killing ${label}…\n`);
      const round = await runFaultRound({
        stack,
        key,
        usage,
        target: service,
        label,
        model: LONG_MODEL_ID,
        clients: CLIENTS,
        maxTokens: 1_900,
        killAfterTextMs: DRAFT_LEASE_MS / 2,
        settleMs: DRAFT_LEASE_MS * 3 + 30_000,
      });
      rows.push(faultRow(round));
      problems.push(...broken(round).map((problem) => `${label}: ${problem}`));
    }
  } finally {
    await usage.close();
    await stack.close();
  }
  process.stdout.write(
    `${FAULT_TABLE_HEADER}\n${rows.join('\n')}\n\n${CLIENTS} clients, draft lease ${DRAFT_LEASE_MS} ms\n`,
  );
  if (problems.length > 0) {
    process.stdout.write(`\nInvariants broken:\n${problems.map((problem) => `- ${problem}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
