// The end of a turn against real PostgreSQL with the committed migrations: TurnStore.finish writes the
// final answer, the trace and the audit outbox rows together, once. A second finish of the same turn
// (a retry whose first try committed, a duplicate finalizer) changes nothing: the stored answer, its
// trace and the outbox stay as they were. A finish after the sweeper ended the draft (the process could
// not reach the database meanwhile) stores the whole answer, once. A stateless turn finishes once too.
import { randomUUID } from 'node:crypto';

import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, seedTenantUser, type TestDatabase } from '@hearth/testing';

import { DraftSweeper } from '../src/turns/draft.sweeper';
import { TurnStore, type FinishTurnInput } from '../src/turns/turn.store';
import { beginDraft } from './support/turn-drafts';

jest.setTimeout(60_000);

describe(`${TurnStore.name} finish`, () => {
  let db: TestDatabase;
  let sut: TurnStore;
  let tenantId: string;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ tenantId, userId } = await seedTenantUser(db.prisma));
    sut = new TurnStore(db.prisma, db.statements, 60_000, 86_400_000);
  });

  afterAll(async () => {
    await db.drop();
  });

  const begin = () => beginDraft(db.prisma, sut, { tenantId, userId });

  function finishInput(
    turn: { draftId: string; turnId: string },
    text: string,
    outputTokens: number,
  ): FinishTurnInput {
    return {
      turnId: turn.turnId,
      tenantId,
      assistantMessageId: turn.draftId,
      message: {
        content: { content: text },
        status: 'complete',
        finishReason: 'stop',
        tokenCount: outputTokens,
        model: 'tiny',
      },
      trace: {
        finishReason: 'stop',
        model: 'tiny',
        promptInput: [],
        inputTokens: 3,
        cachedTokens: 0,
        outputTokens,
        safetyDecisions: [],
        toolRounds: [],
        latency: {},
        prompts: {},
        params: {},
      },
      audit: [
        {
          actor: { type: 'user', id: userId },
          action: 'turn.completed',
          ruleIds: [],
          resource: { type: 'turn', id: turn.turnId },
          metadata: { output_tokens: outputTokens },
        },
      ],
    };
  }

  const auditRowsOf = (turnId: string) =>
    db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM outbox_events WHERE payload->'payload'->'resource'->>'id' = ${turnId}`.then(
      ([row]) => row?.n ?? 0,
    );

  it('stores the answer, the trace and the audit rows of the first finish', async () => {
    const turn = await begin();

    expect(await sut.finish(finishInput(turn, 'the answer', 2))).toBe(true);

    expect(await db.prisma.message.findUniqueOrThrow({ where: { id: turn.draftId } })).toMatchObject({
      status: 'complete',
      finishReason: 'stop',
      tokenCount: 2,
      content: { content: 'the answer' },
    });
    expect(await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: turn.turnId } })).toMatchObject({
      finishReason: 'stop',
      outputTokens: 2,
    });
    expect(await auditRowsOf(turn.turnId)).toBe(1);
  });

  it('changes nothing on a second finish of the same turn: answer, trace and outbox stay', async () => {
    const turn = await begin();
    await sut.finish(finishInput(turn, 'the answer', 2));
    const traceBefore = await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: turn.turnId } });

    expect(await sut.finish(finishInput(turn, 'another answer', 7))).toBe(false);

    expect(await db.prisma.message.findUniqueOrThrow({ where: { id: turn.draftId } })).toMatchObject({
      status: 'complete',
      tokenCount: 2,
      content: { content: 'the answer' },
    });
    expect(await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: turn.turnId } })).toEqual(traceBefore);
    expect(await auditRowsOf(turn.turnId)).toBe(1);
  });

  it('replaces a draft the sweeper ended with the late finish, once', async () => {
    const turn = await begin();
    await db.prisma
      .$executeRaw`UPDATE messages SET lease_expires_at = now() - interval '1 second' WHERE id = ${turn.draftId}::uuid`;
    await new DraftSweeper(db.prisma, createLogger({ service: 'orchestrator', level: 'silent' })).sweep();

    // The process could not reach the database until after the sweep: the whole answer wins.
    expect(await sut.finish(finishInput(turn, 'the whole answer', 3))).toBe(true);
    expect(await sut.finish(finishInput(turn, 'again', 9))).toBe(false);

    expect(await db.prisma.message.findUniqueOrThrow({ where: { id: turn.draftId } })).toMatchObject({
      status: 'complete',
      finishReason: 'stop',
      content: { content: 'the whole answer' },
    });
    expect(await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: turn.turnId } })).toMatchObject({
      finishReason: 'stop',
      error: null,
      outputTokens: 3,
    });
    expect(await auditRowsOf(turn.turnId)).toBe(1);
  });

  it('finishes a stateless turn, which stores no answer, once', async () => {
    const outcome = await sut.begin({
      tenantId,
      requestId: `req-${randomUUID()}`,
      fingerprint: randomUUID(),
      model: 'tiny',
      params: {},
      messages: [],
    });
    if (!('begun' in outcome)) throw new Error('not begun');
    const { turnId } = outcome.begun;
    const input = {
      ...finishInput({ turnId, draftId: '' }, 'x', 1),
      assistantMessageId: undefined,
      message: undefined,
    };

    expect(await sut.finish(input)).toBe(true);
    const trace = await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: turnId } });
    expect(trace.finishedAt).not.toBeNull();

    expect(await sut.finish({ ...input, trace: { ...input.trace, outputTokens: 9 } })).toBe(false);

    expect(await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: turnId } })).toEqual(trace);
    expect(await auditRowsOf(turnId)).toBe(1);
  });
});
