// When a proposal run happens and what it hands on, with the model, PostgreSQL and Redis replaced:
// nothing without the flag, user messages or the opt-in; the turn's newest user messages to the
// model and the newest one as the source; the interval claimed per user; failures resolved, never
// thrown; runs of one user one after another.
import { commonV1, type contextV1 } from '@hearth/contracts';
import { createLogger } from '@hearth/telemetry';

import type { Redis } from 'ioredis';

import type { FactProposalRepository } from './fact-proposal.repository';
import type { FactProposer } from './fact-proposer';
import {
  MAX_FACTS_PER_RUN,
  MemoryProposalService,
  type MemoryProposalOptions,
} from './memory-proposal.service';

const caller: commonV1.Caller = { tenantId: 't-1', userId: 'u-1', apiKeyId: 'k-1' };
const logger = createLogger({ service: 'context-service', level: 'silent' });

function stored(seq: number, role: commonV1.Role, text: string): contextV1.StoredMessage {
  return {
    messageId: `m-${seq}`,
    seq,
    message: { role, content: [{ text }], name: '', toolCalls: [], toolCallId: '' },
    tokenCount: 0,
    createdAt: new Date(),
    parentMessageId: seq > 1 ? `m-${seq - 1}` : '',
  };
}

const turn = [
  stored(4, commonV1.Role.ROLE_USER, 'I live in Lisbon.'),
  stored(5, commonV1.Role.ROLE_ASSISTANT, 'Nice city!'),
];

function fixture(overrides: Partial<MemoryProposalOptions> & { optedIn?: boolean; claimed?: boolean } = {}) {
  const propose = jest.fn(async () => ['I live in Lisbon']);
  const store = jest.fn(async (_caller: unknown, candidates: readonly string[]) => [...candidates]);
  const optedIn = jest.fn(async () => overrides.optedIn ?? true);
  const set = jest.fn(async () => (overrides.claimed === false ? null : 'OK'));
  const sut = new MemoryProposalService({
    enabled: true,
    proposer: { propose } as unknown as FactProposer,
    repository: { optedIn, store } as unknown as FactProposalRepository,
    redis: { set } as unknown as Redis,
    logger,
    minIntervalMs: 60_000,
    maxPending: 20,
    ...overrides,
  });
  return { sut, propose, store, optedIn, set };
}

describe(MemoryProposalService.name, () => {
  it('sends the turn’s user messages to the model and stores what is new with the newest as source', async () => {
    const { sut, propose, store, set } = fixture();

    const outcome = await sut.schedule(caller, 'c-1', [
      stored(2, commonV1.Role.ROLE_USER, 'My name is Ana.'),
      ...turn,
    ]);

    expect(outcome).toBe('proposed');
    expect(set).toHaveBeenCalledWith('ctx:mem:next:t-1:u-1', '1', 'PX', 60_000, 'NX');
    expect(propose).toHaveBeenCalledWith(caller, ['My name is Ana.', 'I live in Lisbon.'], expect.anything());
    expect(store).toHaveBeenCalledWith(
      caller,
      ['I live in Lisbon'],
      { conversationId: 'c-1', messageId: 'm-4' },
      { maxNew: MAX_FACTS_PER_RUN, maxPending: 20 },
    );
  });

  it('never asks the model for a user without memory on', async () => {
    const { sut, propose, set } = fixture({ optedIn: false });

    expect(await sut.schedule(caller, 'c-1', turn)).toBe('opted_out');
    expect(set).not.toHaveBeenCalled();
    expect(propose).not.toHaveBeenCalled();
  });

  it('does nothing when switched off or when no user message was added', async () => {
    const off = fixture({ enabled: false });
    const noUser = fixture();

    expect(await off.sut.schedule(caller, 'c-1', turn)).toBe('off');
    expect(await noUser.sut.schedule(caller, 'c-1', [turn[1]!])).toBe('no_user_message');
    expect(
      [off.optedIn, noUser.optedIn, off.propose, noUser.propose].map((f) => f.mock.calls.length),
    ).toEqual([0, 0, 0, 0]);
  });

  it('proposes nothing from a turn whose answer is a refusal (safety blocked it)', async () => {
    const { sut, optedIn, propose } = fixture();
    const refusal = stored(5, commonV1.Role.ROLE_ASSISTANT, '');
    refusal.message!.content = [{ refusal: 'I can’t help with that.' }];

    expect(await sut.schedule(caller, 'c-1', [turn[0]!, refusal])).toBe('refused_turn');
    expect([optedIn.mock.calls.length, propose.mock.calls.length]).toEqual([0, 0]);
  });

  it('skips a run inside the user’s interval, and claims none when the interval is 0', async () => {
    const throttled = fixture({ claimed: false });
    const everyTurn = fixture({ minIntervalMs: 0 });

    expect(await throttled.sut.schedule(caller, 'c-1', turn)).toBe('throttled');
    expect(throttled.propose).not.toHaveBeenCalled();
    expect(await everyTurn.sut.schedule(caller, 'c-1', turn)).toBe('proposed');
    expect(everyTurn.set).not.toHaveBeenCalled();
  });

  it('resolves a failed run as failed (the turn never sees it) and says when nothing was new', async () => {
    const failing = fixture();
    failing.propose.mockRejectedValueOnce(new Error('gateway down'));
    const known = fixture();
    known.store.mockResolvedValueOnce([]);

    await expect(failing.sut.schedule(caller, 'c-1', turn)).resolves.toBe('failed');
    await expect(known.sut.schedule(caller, 'c-1', turn)).resolves.toBe('nothing_new');
  });

  it('runs one user’s proposals one after another', async () => {
    const { sut, propose } = fixture({ minIntervalMs: 0 });
    let release: () => void = () => undefined;
    propose.mockImplementationOnce(
      () => new Promise<string[]>((resolve) => (release = () => resolve(['I live in Lisbon']))),
    );

    const first = sut.schedule(caller, 'c-1', turn);
    const second = sut.schedule(caller, 'c-2', turn);
    await new Promise((resolve) => setImmediate(resolve));
    const callsWhileFirstRuns = propose.mock.calls.length;
    release();

    expect(await Promise.all([first, second])).toEqual(['proposed', 'proposed']);
    expect(callsWhileFirstRuns).toBe(1);
    expect(propose).toHaveBeenCalledTimes(2);
  });

  it('stops: later runs are not started', async () => {
    const { sut, propose } = fixture();
    await sut.stop();

    expect(await sut.schedule(caller, 'c-1', turn)).toBe('stopped');
    expect(propose).not.toHaveBeenCalled();
  });
});
