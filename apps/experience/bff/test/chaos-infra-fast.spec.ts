// The fast infrastructure subset of the fault-injection suite (bench/chaos breaks every component):
// the stack runs on a private PostgreSQL and Redis (libs/testing's PrivateServer, never the shared
// ones), and each is SIGKILLed mid-answer under a steady load of streamed chat turns through the
// official `openai` SDK, kept down a few seconds and started again on its port. The policy checked
// (README "Failure modes"): turns in flight finish, and an answer a client read to its end is stored
// whole (the orchestrator retries its final write while PostgreSQL is away); new turns are refused with
// an error while PostgreSQL is down and succeed once it is back; Redis is a cache and a limiter, so its
// outage costs no turn; no answer is left `streaming`, no charge is lost or doubled, and no platform
// process needs a restart.
import { consumeUsageEvents, PrivateServer, type UsageEvents } from '@hearth/testing';

import type { CreatedKey } from '../src/admin/admin.service';
import {
  brokenInvariants,
  FAULT_TABLE_HEADER,
  faultRow,
  runFaultRound,
  serverKill,
  type FaultRound,
} from './support/chaos.probe';
import { LONG_MODEL_ID, startStack, type Stack } from './support/stack.fixture';

jest.setTimeout(240_000);

const DRAFT_LEASE_MS = 3_000;
const OUTAGE_MS = 3_000;

describe('fault injection: PostgreSQL and Redis killed mid-turn', () => {
  const postgres = new PrivateServer('postgres');
  const redis = new PrivateServer('redis');
  const sharedEnv = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };
  let stack: Stack;
  let key: CreatedKey;
  let usage: UsageEvents;

  beforeAll(async () => {
    await Promise.all([postgres.start(), redis.start()]);
    // The stack's database and every process it starts use the private servers.
    process.env.DATABASE_URL = postgres.url;
    process.env.REDIS_URL = redis.url;
    stack = await startStack({
      orchestration: true,
      longModel: true,
      longWorkerSlots: 3,
      bffProcess: true,
      orchestratorEnv: { DRAFT_LEASE_MS: String(DRAFT_LEASE_MS), DRAFT_SWEEP_INTERVAL_MS: '500' },
    });
    expect(new URL(stack.db.url).port).toBe(new URL(postgres.url).port);
    key = await stack.tenant('chaos-infra');
    usage = await consumeUsageEvents();
  });

  afterAll(async () => {
    await usage?.close();
    await stack?.close();
    await Promise.all([postgres.destroy(), redis.destroy()]);
    Object.assign(process.env, sharedEnv);
  });

  function expectInvariants(round: FaultRound): void {
    console.log(`${FAULT_TABLE_HEADER}\n${faultRow(round)}`);
    // On a broken invariant, the services' last warnings and errors say why.
    if (brokenInvariants(round).length > 0)
      for (const service of stack.services)
        for (const line of service.fullLog
          .split('\n')
          .filter((l) => /"level":"(error|warn)"/.test(l))
          .slice(-12))
          console.log(`${service.app}: ${line.slice(0, 400)}`);
    expect(brokenInvariants(round)).toEqual([]);
  }

  const fault = (server: PrivateServer) => ({
    stack,
    key,
    usage,
    fault: serverKill(server, OUTAGE_MS),
    model: LONG_MODEL_ID,
    maxTokens: 600,
    settleMs: 30_000,
  });

  it('PostgreSQL: turns in flight finish and are stored whole; turns begun while it is down get a retryable 503', async () => {
    const round = await runFaultRound(fault(postgres));

    expectInvariants(round);
    for (const turn of round.inFlight) expect(turn.kind).toBe('completed');
    // Turns begun while it is down are refused before their stream with a retryable 503 (or, begun
    // just before it is back, wait for it and complete).
    expect(round.during.length).toBeGreaterThan(0);
    for (const turn of round.during.filter((candidate) => candidate.kind !== 'completed'))
      expect(turn).toMatchObject({
        kind: 'http_error',
        status: 503,
        code: 'service_unavailable',
        retryAfter: '2',
      });
  });

  it('Redis: no turn is lost to its outage, in flight or begun while it is down', async () => {
    const round = await runFaultRound(fault(redis));

    expectInvariants(round);
    for (const turn of round.inFlight) expect(turn.kind).toBe('completed');
    for (const answer of round.stored) expect(answer.status).toBe('complete');
    // Limits, quotas, caches and the turn registry fail open: turns begun while it is down run too.
    expect(round.during.length).toBeGreaterThan(0);
    for (const turn of round.during) expect(turn.kind).toBe('completed');
  });
});
