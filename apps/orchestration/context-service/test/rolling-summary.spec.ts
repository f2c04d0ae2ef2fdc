// Rolling summaries against real PostgreSQL, Redis, a model gateway and an inference worker on the
// tiny GGUF (whose scripted reply makes every summary the same text). Turns are driven as the
// orchestrator drives them (store the user message, AssembleContext, store the answer,
// AppendMessages), well past the high mark: summaries are written in the background once per block
// of turns and each assembly uses the newest ready one; no assembly waits for a model call (the
// worker is frozen while they run); a lease left by a crashed holder expires instead of wedging the
// conversation; a summary whose messages were deleted is stepped over and rebuilt; eviction drops
// the summaries.
import { commonV1, contextV1 } from '@hearth/contracts';
import { appendMessage, deleteMessage, type Message } from '@hearth/db';

import { status } from '@grpc/grpc-js';

import { summaryLeaseKey } from '../src/summary/summary-lease';
import { SummaryService } from '../src/summary/summary.service';
import {
  assembleRequest,
  chat,
  seedConversation,
  seedUser,
  startContextService,
  startModelStack,
  TINY_SUMMARY,
  type ContextFixture,
  type ModelStack,
  type Seeded,
} from './support/context.fixture';

jest.setTimeout(180_000);

const { Role, ContextLayer } = commonV1;
// Low mark 2 turns, blocks of 2: the verbatim part flexes between 2 and 4 turns.
const LOW = 2;
const BLOCK = 2;

describe(SummaryService.name, () => {
  let stack: ModelStack;
  let sut: ContextFixture;
  let owner: Seeded;

  beforeAll(async () => {
    stack = await startModelStack();
    sut = await startContextService(stack, {
      HOT_WINDOW_TURNS: String(LOW),
      SUMMARY_BLOCK_TURNS: String(BLOCK),
      SUMMARY_LEASE_MS: '1000',
    });
    owner = await seedUser(sut.prisma);
  });

  afterAll(async () => {
    await sut?.close();
    await stack?.stop();
  });

  const summaries = () => sut.service.app.get(SummaryService);
  const stored = (row: Message): contextV1.StoredMessage => ({
    messageId: row.id,
    seq: row.seq,
    message: chat(row.role === 'user' ? Role.ROLE_USER : Role.ROLE_ASSISTANT, String(row.content)),
    tokenCount: 0,
    createdAt: row.createdAt,
    parentMessageId: row.parentId ?? '',
  });

  const assemble = (conversationId: string, text: string, historyBeforeSeq = 0, tokenBudget = 0) =>
    sut.client.assembleContext(
      assembleRequest({
        caller: owner.caller,
        conversationId,
        historyBeforeSeq,
        tokenBudget,
        newMessages: [chat(Role.ROLE_USER, text)],
      }),
    );

  /** One turn as the orchestrator runs it; the answer is appended, which may start summary work. */
  async function turn(conversationId: string, n: number): Promise<contextV1.AssembleContextResponse> {
    const text = `Question number ${n} about my cat`;
    const user = await appendMessage(sut.prisma, { conversationId, role: 'user', content: text });
    const response = await assemble(conversationId, text, user.seq);
    const answer = await appendMessage(sut.prisma, {
      conversationId,
      role: 'assistant',
      content: `Answer number ${n} about your cat`,
    });
    await sut.client.appendMessages({
      caller: owner.caller,
      conversationId,
      messages: [stored(user), stored(answer)],
    });
    return response;
  }

  const newConversation = async () => (await seedConversation(sut.prisma, owner, [])).conversationId;
  const rows = (conversationId: string) =>
    sut.prisma.conversationSummary.findMany({ where: { conversationId }, orderBy: { version: 'asc' } });
  const layer = (response: contextV1.AssembleContextResponse, l: commonV1.ContextLayer) =>
    response.messages.filter((m) => m.provenance?.layer === l);
  /** Turns kept verbatim (user messages in HISTORY). */
  const verbatimTurns = (response: contextV1.AssembleContextResponse) =>
    layer(response, ContextLayer.CONTEXT_LAYER_HISTORY).filter((m) => m.message?.role === Role.ROLE_USER)
      .length;

  it('writes a summary once per block in the background; every turn uses the newest ready one', async () => {
    const conversationId = await newConversation();
    const seen: { version: number; seqEnd: number; verbatim: number }[] = [];

    for (let n = 1; n <= 14; n++) {
      const response = await turn(conversationId, n);
      // Barrier: the summary work the append started (if any) has finished.
      await summaries().idle(conversationId);
      const summaryItems = layer(response, ContextLayer.CONTEXT_LAYER_SUMMARY);
      const ref = response.summary as commonV1.SummaryRef;
      seen.push({ version: ref.version, seqEnd: ref.seqEnd, verbatim: verbatimTurns(response) });
      if (ref.version > 0) {
        expect(summaryItems).toHaveLength(1);
        expect(summaryItems[0]?.message?.content[0]?.text).toContain(TINY_SUMMARY);
        expect(summaryItems[0]?.provenance).toMatchObject({
          sourceId: ref.summaryId,
          seqStart: 1,
          seqEnd: ref.seqEnd,
        });
        // Everything after the summary is there verbatim, nothing it covers is repeated.
        const history = layer(response, ContextLayer.CONTEXT_LAYER_HISTORY);
        expect(history[0]?.provenance?.seqStart).toBe(ref.seqEnd + 1);
      } else {
        expect(summaryItems).toHaveLength(0);
      }
    }

    // 14 turns: a summary after turns 4, 6, 8, 10, 12 and 14 (each folding 2 turns, 4 messages).
    const written = await rows(conversationId);
    expect(written.map((r) => [r.version, r.fromSeq, r.toSeq, r.stale])).toEqual([
      [1, 1, 4, false],
      [2, 1, 8, false],
      [3, 1, 12, false],
      [4, 1, 16, false],
      [5, 1, 20, false],
      [6, 1, 24, false],
    ]);
    expect(written.every((r) => r.model === 'tiny' && r.messageCount === r.toSeq)).toBe(true);
    // The turn after each write uses it; the verbatim part (this turn excluded) flexes between the marks.
    expect(seen.map((s) => s.version)).toEqual([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(seen.map((s) => s.verbatim)).toEqual([0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3]);
  });

  it('never calls a model while assembling: with the worker frozen, assemblies answer and generate nothing', async () => {
    const conversationId = await newConversation();
    for (let n = 1; n <= 3; n++) await turn(conversationId, n);
    await summaries().idle(conversationId);
    expect(await rows(conversationId)).toHaveLength(0);
    const generationsBefore = await stack.gatewayGenerations();

    stack.worker.freeze();
    const responses: contextV1.AssembleContextResponse[] = [];
    try {
      // Turn 4 reaches the high mark, where a summary used to be written before the answer. Any model
      // call now (a Tokenize, a summary's Generate) would hang on the frozen worker or fail the call.
      const user = await appendMessage(sut.prisma, {
        conversationId,
        role: 'user',
        content: 'Question number 4 about my cat',
      });
      for (let i = 0; i < 3; i++) {
        responses.push(await assemble(conversationId, 'Question number 4 about my cat', user.seq));
      }
      // Barrier: any work these assemblies started in the background has ended.
      await summaries().idle(conversationId);
      expect(await stack.gatewayGenerations()).toBe(generationsBefore);
      const answer = await appendMessage(sut.prisma, {
        conversationId,
        role: 'assistant',
        content: 'Answer number 4 about your cat',
      });
      // The answer is appended: now the summary is due, and written in the background.
      await sut.client.appendMessages({
        caller: owner.caller,
        conversationId,
        messages: [stored(user), stored(answer)],
      });
    } finally {
      stack.worker.thaw();
    }

    for (const response of responses) {
      expect(response.summary).toMatchObject({ summaryId: '', version: 0, refreshPending: true });
      expect(layer(response, ContextLayer.CONTEXT_LAYER_SUMMARY)).toHaveLength(0);
      expect(verbatimTurns(response)).toBe(3);
    }
    // Written once the worker answers: the frozen attempt goes on after the thaw, or it failed (the
    // gateway saw the worker unhealthy) and a later trigger writes it.
    await summaries().idle(conversationId);
    for (let attempt = 0; (await rows(conversationId)).length === 0 && attempt < 40; attempt++) {
      if ((await summaries().schedule(owner.caller, conversationId)) !== 'written') {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    const after = await assemble(conversationId, 'And now?');
    expect(after.summary).toMatchObject({ version: 1, seqStart: 1, seqEnd: 4 });
  });

  it('does not wedge a conversation whose summary lease a crashed holder left behind', async () => {
    const conversationId = await newConversation();
    for (let n = 1; n <= 3; n++) await turn(conversationId, n);
    // A replica that died mid-summary: its lease stays until it expires.
    const key = summaryLeaseKey(conversationId);
    await sut.redis.set(key, 'crashed-holder', 'PX', 60_000);
    await turn(conversationId, 4);
    await summaries().idle(conversationId);

    expect(await summaries().schedule(owner.caller, conversationId)).toBe('busy');
    expect(await rows(conversationId)).toHaveLength(0);

    // Time passes: the lease expires (shortened here instead of waiting a minute).
    await sut.redis.pexpire(key, 200);
    while ((await sut.redis.exists(key)) === 1) await new Promise((resolve) => setTimeout(resolve, 50));
    await turn(conversationId, 5);
    await summaries().idle(conversationId);

    expect((await rows(conversationId)).map((r) => [r.version, r.toSeq])).toEqual([[1, 6]]);
    expect(await sut.redis.exists(key)).toBe(0);
  });

  it('uses a summary only on the branch it covers: a fork before its end answers without it', async () => {
    const conversationId = await newConversation();
    for (let n = 1; n <= 4; n++) await turn(conversationId, n);
    await summaries().idle(conversationId);
    const [summary] = await rows(conversationId);
    expect(summary).toMatchObject({ version: 1, toSeq: 4 });
    const main = await sut.prisma.message.findMany({ where: { conversationId }, orderBy: { seq: 'asc' } });
    const [, firstAnswer] = main;
    expect(summary?.throughMessageId).toBe(main[3]?.id);

    // A fork from the first answer (the second question asked again, differently): the summary
    // covers the second question, which is not on this branch.
    await sut.prisma.conversation.update({
      where: { id: conversationId },
      data: { currentLeafId: firstAnswer?.id },
    });
    const fork = await appendMessage(sut.prisma, { conversationId, role: 'user', content: 'About my dog?' });
    expect(fork.parentId).toBe(firstAnswer?.id);
    const forked = await sut.client.assembleContext(
      assembleRequest({
        caller: owner.caller,
        conversationId,
        historyBeforeSeq: fork.seq,
        parentMessageId: firstAnswer?.id ?? '',
        newMessages: [chat(Role.ROLE_USER, 'About my dog?')],
      }),
    );
    expect(forked.summary).toMatchObject({ summaryId: '', version: 0 });
    expect(layer(forked, ContextLayer.CONTEXT_LAYER_SUMMARY)).toHaveLength(0);
    expect(layer(forked, ContextLayer.CONTEXT_LAYER_HISTORY).map((m) => m.provenance?.sourceId)).toEqual(
      main.slice(0, 2).map((m) => m.id),
    );

    // The branch it summarises still uses it.
    const last = main[main.length - 1];
    const onMain = await sut.client.assembleContext(
      assembleRequest({
        caller: owner.caller,
        conversationId,
        parentMessageId: last?.id ?? '',
        newMessages: [chat(Role.ROLE_USER, 'And my cat?')],
      }),
    );
    expect(onMain.summary).toMatchObject({ summaryId: summary?.id, version: 1 });
    expect(layer(onMain, ContextLayer.CONTEXT_LAYER_HISTORY).map((m) => m.provenance?.sourceId)).toEqual(
      main.slice(4).map((m) => m.id),
    );
    // A fork point that is not a message of this conversation is NOT_FOUND.
    const other = await newConversation();
    const foreign = await sut.failure(
      'assembleContext',
      assembleRequest({
        caller: owner.caller,
        conversationId: other,
        parentMessageId: last?.id ?? '',
        newMessages: [chat(Role.ROLE_USER, 'x')],
      }),
    );
    expect(foreign.code).toBe(status.NOT_FOUND);
  });

  it('steps over a summary whose messages were deleted and rebuilds it in the background', async () => {
    const conversationId = await newConversation();
    for (let n = 1; n <= 4; n++) await turn(conversationId, n);
    await summaries().idle(conversationId);
    const [first] = await rows(conversationId);
    expect(first).toMatchObject({ version: 1, toSeq: 4, messageCount: 4 });

    const covered = await sut.prisma.message.findFirstOrThrow({ where: { conversationId, seq: 2 } });
    expect(await deleteMessage(sut.prisma, conversationId, covered.id)).toBe('deleted');
    const stale = await assemble(conversationId, 'After the deletion');
    await summaries().idle(conversationId);

    expect(stale.summary).toMatchObject({ summaryId: '', refreshPending: true });
    expect(layer(stale, ContextLayer.CONTEXT_LAYER_SUMMARY)).toHaveLength(0);
    const rebuilt = await rows(conversationId);
    expect(rebuilt.map((r) => [r.version, r.toSeq, r.stale, r.messageCount])).toEqual([
      [1, 4, true, 4],
      [2, 4, false, 3],
    ]);
    const next = await assemble(conversationId, 'And now?');
    expect(next.summary).toMatchObject({ summaryId: rebuilt[1]?.id, version: 2, seqStart: 1, seqEnd: 4 });
  });

  it('leaves out what does not fit rather than wait, says so, and has it summarized for the next turn', async () => {
    const { conversationId } = await seedConversation(
      sut.prisma,
      owner,
      [1, 2, 3].flatMap((i): ['user' | 'assistant', string][] => [
        ['user', `Question number ${i} about my cat`],
        ['assistant', `Answer number ${i} about your cat`],
      ]),
    );

    // A budget with room for about half of the history (the same call without a budget fits it all).
    const roomy = await assemble(conversationId, 'And now?');
    const historyTokens = layer(roomy, ContextLayer.CONTEXT_LAYER_HISTORY).reduce(
      (n, m) => n + m.tokenCount,
      0,
    );
    expect(roomy.truncated).toBe(false);
    const budget = roomy.totalTokens - Math.ceil(historyTokens / 2);
    await summaries().idle(conversationId);
    expect(await rows(conversationId)).toHaveLength(0);

    const tight = await assemble(conversationId, 'And now?', 0, budget);
    await summaries().idle(conversationId);

    expect(tight.truncated).toBe(true);
    const history = layer(tight, ContextLayer.CONTEXT_LAYER_HISTORY);
    expect(history.length).toBeLessThan(6);
    expect(tight.layers.find((l) => l.layer === ContextLayer.CONTEXT_LAYER_HISTORY)?.droppedItems).toBe(
      6 - history.length,
    );
    expect(tight.summary?.refreshPending).toBe(true);
    // The summary covers at least what was left out.
    const [written] = await rows(conversationId);
    expect(written?.toSeq).toBeGreaterThanOrEqual((history[0]?.provenance?.seqStart ?? 1) - 1);
  });

  it('drops the summaries when the conversation is evicted', async () => {
    const conversationId = await newConversation();
    for (let n = 1; n <= 4; n++) await turn(conversationId, n);
    await summaries().idle(conversationId);
    expect(await rows(conversationId)).toHaveLength(1);

    await sut.client.evictConversation({ caller: owner.caller, conversationId, windowOnly: false });

    expect(await rows(conversationId)).toHaveLength(0);
    expect(await sut.redis.exists(`ctx:win:${conversationId}`)).toBe(0);
  });
});
