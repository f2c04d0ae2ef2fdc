// Drafts whose turn died, against real PostgreSQL with the committed migrations: a draft whose lease
// passed (its process stopped renewing it) becomes incomplete with its turn's trace finished with the
// reason; a running turn's draft, whose lease this process renews, is left streaming. Drafts are
// written by the real TurnStore.begin and leases renewed by the real DraftLeaseKeeper.

import { createLogger } from '@hearth/telemetry';
import { createTestDatabase, seedTenantUser, type TestDatabase } from '@hearth/testing';

import { DraftLeaseKeeper } from '../src/turns/draft-lease.keeper';
import { DRAFT_LEASE_EXPIRED, DraftSweeper } from '../src/turns/draft.sweeper';
import { TurnStore } from '../src/turns/turn.store';
import { beginDraft } from './support/turn-drafts';

jest.setTimeout(60_000);

const logger = createLogger({ service: 'orchestrator', level: 'silent' });
const LEASE_MS = 600;

describe(DraftSweeper.name, () => {
  let db: TestDatabase;
  let sut: DraftSweeper;
  let tenantId: string;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ tenantId, userId } = await seedTenantUser(db.prisma));
    sut = new DraftSweeper(db.prisma, logger);
  });

  afterAll(async () => {
    await db.drop();
  });

  const begin = (store: TurnStore) => beginDraft(db.prisma, store, { tenantId, userId });

  const expire = (messageId: string) =>
    db.prisma
      .$executeRaw`UPDATE messages SET lease_expires_at = now() - interval '1 second' WHERE id = ${messageId}::uuid`;

  it('ends a draft whose lease passed as incomplete, with its turn finished with the reason', async () => {
    const { draftId, turnId } = await begin(new TurnStore(db.prisma, db.statements, 60_000, 86_400_000));
    await expire(draftId);

    expect(await sut.sweep()).toBeGreaterThanOrEqual(1);

    const draft = await db.prisma.message.findUniqueOrThrow({ where: { id: draftId } });
    expect(draft).toMatchObject({ status: 'incomplete', finishReason: 'error', leaseExpiresAt: null });
    const trace = await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: turnId } });
    expect(trace.finishReason).toBe('error');
    expect(trace.finishedAt).not.toBeNull();
    expect(trace.error).toEqual(DRAFT_LEASE_EXPIRED);
  });

  it('leaves the draft of a running turn streaming while its lease is renewed past its first term', async () => {
    const keeper = new DraftLeaseKeeper(db.prisma, logger, LEASE_MS);
    const live = await begin(new TurnStore(db.prisma, db.statements, keeper.leaseMs, 86_400_000));
    const dead = await begin(new TurnStore(db.prisma, db.statements, keeper.leaseMs, 86_400_000));
    keeper.hold(live.draftId);
    keeper.start();
    try {
      // Both drafts were stored with the same lease; only the held one is renewed, so once the first
      // term is over the sweep ends the dead one and must leave the live one alone.
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
      await sut.sweep();
    } finally {
      keeper.stop();
    }

    const [liveDraft, deadDraft] = await Promise.all(
      [live, dead].map(({ draftId }) => db.prisma.message.findUniqueOrThrow({ where: { id: draftId } })),
    );
    expect(deadDraft?.status).toBe('incomplete');
    expect(liveDraft?.status).toBe('streaming');
    expect(liveDraft?.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now());
    expect(
      (await db.prisma.turnTrace.findUniqueOrThrow({ where: { id: live.turnId } })).finishedAt,
    ).toBeNull();
  });

  it('keeps the text streamed before its process died: each renewal saves it, the sweep leaves it', async () => {
    const keeper = new DraftLeaseKeeper(db.prisma, logger, LEASE_MS);
    const { draftId } = await begin(new TurnStore(db.prisma, db.statements, keeper.leaseMs, 86_400_000));
    keeper.hold(draftId);
    keeper.append(draftId, 'Hello ');
    await keeper.renew();
    keeper.append(draftId, 'there');
    await keeper.renew();
    // The process dies here: nothing renews the lease any more.
    await expire(draftId);

    await sut.sweep();

    const draft = await db.prisma.message.findUniqueOrThrow({ where: { id: draftId } });
    expect(draft).toMatchObject({
      status: 'incomplete',
      finishReason: 'error',
      content: { content: 'Hello there' },
    });
  });

  it('never overwrites a final answer with a renewal of its draft text', async () => {
    const keeper = new DraftLeaseKeeper(db.prisma, logger, LEASE_MS);
    const { draftId } = await begin(new TurnStore(db.prisma, db.statements, keeper.leaseMs, 86_400_000));
    keeper.hold(draftId);
    keeper.append(draftId, 'partial');
    await db.prisma.message.update({
      where: { id: draftId },
      data: { status: 'complete', finishReason: 'stop', content: { content: 'the final answer' } },
    });

    await keeper.renew();

    expect(await db.prisma.message.findUniqueOrThrow({ where: { id: draftId } })).toMatchObject({
      status: 'complete',
      content: { content: 'the final answer' },
    });
  });

  it('leaves a finished answer alone even when its lease passed', async () => {
    const store = new TurnStore(db.prisma, db.statements, 60_000, 86_400_000);
    const { draftId } = await begin(store);
    await db.prisma.message.update({
      where: { id: draftId },
      data: { status: 'complete', finishReason: 'stop' },
    });
    await expire(draftId);

    await sut.sweep();

    expect(await db.prisma.message.findUniqueOrThrow({ where: { id: draftId } })).toMatchObject({
      status: 'complete',
      finishReason: 'stop',
    });
  });
});
