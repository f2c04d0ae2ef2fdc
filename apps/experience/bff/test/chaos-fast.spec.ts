// The fast subset of the fault-injection suite (bench/chaos runs every process): under a steady load of
// streamed chat turns through the official `openai` SDK, the orchestrator and the inference worker are
// each SIGKILLed mid-answer and started again on their port. Every client in flight gets a final SSE
// error event with a code (no hang, no bare disconnect), no stored answer is left `streaming` (the
// orchestrator's drafts are swept `incomplete` with the text already streamed), no completed turn lacks
// its usage event and none is charged twice, new turns succeed, and no other process was restarted.
import { consumeUsageEvents, type UsageEvents } from '@hearth/testing';

import type { CreatedKey } from '../src/admin/admin.service';
import { brokenInvariants, processKill, runFaultRound, type FaultRound } from './support/chaos.probe';
import { LONG_MODEL_ID, startStack, type Stack } from './support/stack.fixture';

jest.setTimeout(180_000);

/** Short lease and sweep so a dead orchestrator's drafts end within seconds (defaults: 60 s, 30 s). */
const DRAFT_LEASE_MS = 3_000;

describe('fault injection: a process killed mid-turn', () => {
  let stack: Stack;
  let key: CreatedKey;
  let usage: UsageEvents;

  beforeAll(async () => {
    stack = await startStack({
      orchestration: true,
      longModel: true,
      longWorkerSlots: 3,
      bffProcess: true,
      orchestratorEnv: { DRAFT_LEASE_MS: String(DRAFT_LEASE_MS), DRAFT_SWEEP_INTERVAL_MS: '500' },
    });
    key = await stack.tenant('chaos');
    usage = await consumeUsageEvents();
  });

  afterAll(async () => {
    await usage?.close();
    await stack?.close();
  });

  function expectInvariants(round: FaultRound): void {
    expect(brokenInvariants(round)).toEqual([]);
    for (const turn of round.inFlight)
      expect(turn).toMatchObject({ kind: 'error_event', code: expect.any(String) });
  }

  it('orchestrator: clients get an error event, drafts end incomplete keeping the streamed text', async () => {
    const round = await runFaultRound({
      stack,
      key,
      usage,
      fault: processKill(stack.orchestrator as NonNullable<Stack['orchestrator']>, 'orchestrator'),
      model: LONG_MODEL_ID,
      maxTokens: 1_900,
      // Past one lease renewal (a third of the lease), so the drafts have saved some text.
      killAfterTextMs: DRAFT_LEASE_MS / 2,
      settleMs: 30_000,
    });

    expectInvariants(round);
    for (const turn of round.inFlight) expect(turn.code).toBe('service_unavailable');
    for (const answer of round.stored) {
      expect(answer.status).toBe('incomplete');
      expect(answer.contentChars).toBeGreaterThan(0);
    }
  });

  it('inference worker: clients get an error event, answers end incomplete, nothing charged twice', async () => {
    const round = await runFaultRound({
      stack,
      key,
      usage,
      fault: processKill(stack.longWorker as NonNullable<Stack['longWorker']>, 'inference-worker'),
      model: LONG_MODEL_ID,
      maxTokens: 1_900,
      settleMs: 30_000,
    });

    expectInvariants(round);
    for (const answer of round.stored) expect(answer.status).toBe('incomplete');
    // Turns begun while it is down fail with a retryable code naming what is away, never `internal`.
    for (const turn of round.during.filter((candidate) => candidate.kind !== 'completed'))
      expect(['service_unavailable', 'model_unavailable']).toContain(turn.code);
  });
});
