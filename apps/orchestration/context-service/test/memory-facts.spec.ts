// Memory facts against real PostgreSQL and the assembly path (real gateway and worker on the tiny
// GGUF): create/list/delete with the opt-in rule, listing pages as an export, facts never used for a
// user who has not opted in (or who turned memory off, or asked to exclude it), used when they have;
// proposed facts never used until approved, approval only of the caller's own proposed facts.
import { randomUUID } from 'node:crypto';

import { commonV1, contextV1 } from '@hearth/contracts';

import { status } from '@grpc/grpc-js';

import { MemoryFactService } from '../src/memory/memory-fact.service';
import {
  assembleRequest,
  chat,
  seedUser,
  startContextService,
  startModelStack,
  type ContextFixture,
  type ModelStack,
} from './support/context.fixture';

jest.setTimeout(120_000);

const { Role, ContextLayer } = commonV1;

describe(MemoryFactService.name, () => {
  let stack: ModelStack;
  let sut: ContextFixture;

  beforeAll(async () => {
    stack = await startModelStack();
    // The tiny model's tokenizer spends many tokens per word: give memory a larger share.
    sut = await startContextService(stack, { CONTEXT_BUDGET_MEMORY_PERCENT: '30' });
  });

  afterAll(async () => {
    await sut?.close();
    await stack?.stop();
  });

  const create = (caller: commonV1.Caller, text: string) =>
    sut.client.createMemoryFact({
      caller,
      text,
      source: contextV1.MemoryFactSource.MEMORY_FACT_SOURCE_USER,
      sourceMessageId: '',
    });
  const list = (
    caller: commonV1.Caller,
    pageSize = 0,
    pageToken = '',
    factStatus = contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_UNSPECIFIED,
  ) => sut.client.listMemoryFacts({ caller, pageSize, pageToken, status: factStatus });
  const propose = async (caller: commonV1.Caller, text: string) =>
    (
      await sut.prisma.memoryFact.create({
        data: {
          tenantId: caller.tenantId,
          userId: caller.userId,
          text,
          status: 'proposed',
          source: `assistant:message:${randomUUID()}:conversation:${randomUUID()}`,
        },
      })
    ).id;
  const setOptIn = (caller: commonV1.Caller, optedIn: boolean) =>
    sut.client.setMemoryOptIn({ caller, optedIn });
  const memoryIn = async (caller: commonV1.Caller, excludeMemory = false) => {
    const response = await sut.client.assembleContext(
      assembleRequest({ caller, excludeMemory, newMessages: [chat(Role.ROLE_USER, 'What should I cook?')] }),
    );
    return response.messages
      .filter((m) => m.provenance?.layer === ContextLayer.CONTEXT_LAYER_MEMORY)
      .map((m) => ({ source: m.provenance?.sourceId, text: m.message?.content[0]?.text ?? '' }));
  };

  it('refuses to store a fact for a user who has not opted in, and stores it once they have', async () => {
    const user = await seedUser(sut.prisma);

    const refused = await sut.failure('createMemoryFact', {
      caller: user.caller,
      text: 'I am vegetarian',
      source: contextV1.MemoryFactSource.MEMORY_FACT_SOURCE_USER,
      sourceMessageId: '',
    });
    expect(refused.code).toBe(status.FAILED_PRECONDITION);

    expect(await setOptIn(user.caller, true)).toEqual({ optedIn: true });
    const { fact } = await create(user.caller, '  I am vegetarian ');
    expect(fact).toMatchObject({
      text: 'I am vegetarian',
      source: contextV1.MemoryFactSource.MEMORY_FACT_SOURCE_USER,
    });
    expect(await list(user.caller)).toMatchObject({ optedIn: true, facts: [{ factId: fact?.factId }] });
  });

  it('uses facts in the assembly only while the user has memory on and does not exclude it', async () => {
    const user = await seedUser(sut.prisma, true);
    const { fact } = await create(user.caller, 'I am vegetarian');
    const factId = fact?.factId;

    const optedIn = await memoryIn(user.caller);
    const excluded = await memoryIn(user.caller, true);
    await setOptIn(user.caller, false);
    const optedOut = await memoryIn(user.caller);

    expect(optedIn).toEqual([{ source: factId, text: expect.stringContaining('I am vegetarian') }]);
    expect(excluded).toEqual([]);
    expect(optedOut).toEqual([]);
    // Turning memory off keeps the facts (the user may turn it on again).
    expect((await list(user.caller)).facts).toHaveLength(1);
  });

  it('never uses another user’s facts', async () => {
    const owner = await seedUser(sut.prisma, true);
    const other = await seedUser(sut.prisma, true);
    await create(owner.caller, 'I live in Lisbon');

    expect(await memoryIn(other.caller)).toEqual([]);
    expect((await list(other.caller)).facts).toEqual([]);
  });

  it('lists newest first in pages that together export every fact', async () => {
    const user = await seedUser(sut.prisma, true);
    for (const text of ['fact one', 'fact two', 'fact three']) await create(user.caller, text);

    const first = await list(user.caller, 2);
    const second = await list(user.caller, 2, first.nextPageToken);

    expect(first.facts.map((f) => f.text)).toEqual(['fact three', 'fact two']);
    expect(second.facts.map((f) => f.text)).toEqual(['fact one']);
    expect(second.nextPageToken).toBe('');
    const bad = await sut.failure('listMemoryFacts', {
      caller: user.caller,
      pageSize: 2,
      pageToken: 'garbage',
      status: 0,
    });
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
  });

  it('deletes a fact of the caller and answers NOT_FOUND for anyone else’s or an unknown one', async () => {
    const owner = await seedUser(sut.prisma, true);
    const other = await seedUser(sut.prisma, true);
    const { fact } = await create(owner.caller, 'I have a dog');
    const factId = fact?.factId ?? '';

    const foreign = await sut.failure('deleteMemoryFact', { caller: other.caller, factId });
    await sut.client.deleteMemoryFact({ caller: owner.caller, factId });
    const again = await sut.failure('deleteMemoryFact', { caller: owner.caller, factId });

    expect([foreign.code, again.code]).toEqual([status.NOT_FOUND, status.NOT_FOUND]);
    expect((await list(owner.caller)).facts).toEqual([]);
    expect(await memoryIn(owner.caller)).toEqual([]);
  });

  it('answers INVALID_ARGUMENT without a user, with an empty or too long text, and NOT_FOUND for an unknown user', async () => {
    const user = await seedUser(sut.prisma, true);
    const noUser = { ...user.caller, userId: '' };

    const codes = await Promise.all([
      sut.failure('listMemoryFacts', { caller: noUser, pageSize: 0, pageToken: '', status: 0 }),
      sut.failure('createMemoryFact', { caller: user.caller, text: '   ', source: 0, sourceMessageId: '' }),
      sut.failure('createMemoryFact', {
        caller: user.caller,
        text: 'x'.repeat(501),
        source: 0,
        sourceMessageId: '',
      }),
      sut.failure('deleteMemoryFact', { caller: user.caller, factId: '' }),
      sut.failure('setMemoryOptIn', {
        caller: { ...user.caller, userId: '7d0c3d4e-1111-4aaa-8bbb-000000000000' },
        optedIn: true,
      }),
    ]);

    expect(codes.map((e) => e.code)).toEqual([
      status.INVALID_ARGUMENT,
      status.INVALID_ARGUMENT,
      status.INVALID_ARGUMENT,
      status.INVALID_ARGUMENT,
      status.NOT_FOUND,
    ]);
  });

  it('never uses a proposed fact in an assembly until the user approves it, then uses it', async () => {
    const user = await seedUser(sut.prisma, true);
    const { fact: written } = await create(user.caller, 'I am vegetarian');
    const proposedId = await propose(user.caller, 'I live in Lisbon');

    const before = await memoryIn(user.caller);
    const proposed = await list(user.caller, 0, '', contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_PROPOSED);
    const { fact: approved } = await sut.client.approveMemoryFact({
      caller: user.caller,
      factId: proposedId,
    });
    const after = await memoryIn(user.caller);

    expect(before).toEqual([{ source: written?.factId, text: expect.stringContaining('I am vegetarian') }]);
    expect(proposed.facts).toEqual([
      expect.objectContaining({
        factId: proposedId,
        status: contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_PROPOSED,
        source: contextV1.MemoryFactSource.MEMORY_FACT_SOURCE_ASSISTANT,
        sourceConversationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      }),
    ]);
    expect(approved?.status).toBe(contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_APPROVED);
    expect(after.map((m) => m.source).sort()).toEqual([written?.factId, proposedId].sort());
    const approvedOnly = await list(
      user.caller,
      0,
      '',
      contextV1.MemoryFactStatus.MEMORY_FACT_STATUS_APPROVED,
    );
    expect(approvedOnly.facts).toHaveLength(2);
  });

  it('approves only the caller’s own proposed facts: NOT_FOUND for another’s or an unknown one, FAILED_PRECONDITION twice', async () => {
    const owner = await seedUser(sut.prisma, true);
    const other = await seedUser(sut.prisma, true);
    const factId = await propose(owner.caller, 'I have two cats');

    const foreign = await sut.failure('approveMemoryFact', { caller: other.caller, factId });
    const unknown = await sut.failure('approveMemoryFact', { caller: owner.caller, factId: randomUUID() });
    const malformed = await sut.failure('approveMemoryFact', { caller: owner.caller, factId: 'nope' });
    await sut.client.approveMemoryFact({ caller: owner.caller, factId });
    const twice = await sut.failure('approveMemoryFact', { caller: owner.caller, factId });

    expect([foreign.code, unknown.code, malformed.code, twice.code]).toEqual([
      status.NOT_FOUND,
      status.NOT_FOUND,
      status.NOT_FOUND,
      status.FAILED_PRECONDITION,
    ]);
    expect(await memoryIn(other.caller)).toEqual([]);
  });

  it('answers Retrieve with INVALID_ARGUMENT when the embedding model cannot embed', async () => {
    const user = await seedUser(sut.prisma);
    const error = await sut.failure('retrieve', {
      caller: user.caller,
      query: 'cats',
      topK: 0,
      fileIds: [],
      minScore: 0,
    });
    // This stack's tiny model has no `embeddings` capability (file-retrieval.spec.ts covers one that has).
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.message).toMatch(/does not produce embeddings/);
  });
});
