// Rolling summaries against real PostgreSQL, Redis, a model gateway and an inference worker on the
// tiny GGUF (whose scripted reply makes every summary the same text): a conversation longer than the
// budget is assembled as summary + newest messages with provenance, the summary row records the seqs
// it covers and is reused, deleting a covered message makes it be rewritten, eviction drops it.
import { commonV1 } from '@hearth/contracts';

import { SummaryService } from '../src/summary/summary.service';
import {
  assembleRequest,
  chat,
  outline,
  seedConversation,
  seedUser,
  startContextService,
  startModelStack,
  TINY_SUMMARY,
  type ContextFixture,
  type ModelStack,
  type Seeded,
} from './support/context.fixture';

jest.setTimeout(120_000);

const { Role, ContextLayer } = commonV1;
const BUDGET = 220;

describe(SummaryService.name, () => {
  let stack: ModelStack;
  let sut: ContextFixture;
  let owner: Seeded;

  beforeAll(async () => {
    stack = await startModelStack();
    // The tiny model's tokenizer spends many tokens per word: give the summary a large share.
    sut = await startContextService(stack, { HOT_WINDOW_TURNS: '8', CONTEXT_BUDGET_SUMMARY_PERCENT: '40' });
    owner = await seedUser(sut.prisma);
  });

  afterAll(async () => {
    await sut?.close();
    await stack?.stop();
  });

  const sixTurns = (): ['user' | 'assistant', string][] =>
    [1, 2, 3, 4, 5, 6].flatMap((i): ['user' | 'assistant', string][] => [
      ['user', `Question number ${i} about my cat`],
      ['assistant', `Answer number ${i} about your cat`],
    ]);

  const assemble = (conversationId: string, tokenBudget = BUDGET) =>
    sut.client.assembleContext(
      assembleRequest({
        caller: owner.caller,
        conversationId,
        tokenBudget,
        newMessages: [chat(Role.ROLE_USER, 'And now?')],
      }),
    );

  it('assembles a conversation longer than the budget as summary + newest messages, with provenance', async () => {
    const { conversationId } = await seedConversation(sut.prisma, owner, sixTurns());

    const response = await assemble(conversationId);

    const items = outline(response);
    const summary = response.messages.find((m) => m.provenance?.layer === ContextLayer.CONTEXT_LAYER_SUMMARY);
    const history = response.messages.filter(
      (m) => m.provenance?.layer === ContextLayer.CONTEXT_LAYER_HISTORY,
    );
    expect(summary?.message?.content[0]?.text).toContain(TINY_SUMMARY);
    const firstKept = history[0]?.provenance?.seqStart ?? 0;
    expect(firstKept).toBeGreaterThan(1);
    expect(summary?.provenance).toMatchObject({ seqStart: 1, seqEnd: firstKept - 1 });
    expect(history.map((m) => m.provenance?.seqStart)).toEqual(
      Array.from({ length: 12 - firstKept + 1 }, (_, i) => firstKept + i),
    );
    expect(items.map((i) => i.layer)).toEqual([
      String(ContextLayer.CONTEXT_LAYER_SUMMARY),
      ...history.map(() => String(ContextLayer.CONTEXT_LAYER_HISTORY)),
      String(ContextLayer.CONTEXT_LAYER_INPUT),
    ]);
    expect(response.truncated).toBe(true);
    expect(response.totalTokens).toBeLessThanOrEqual(BUDGET);
    const layer = (l: commonV1.ContextLayer) => response.layers.find((x) => x.layer === l);
    expect(layer(ContextLayer.CONTEXT_LAYER_SUMMARY)).toMatchObject({ includedItems: 1, droppedItems: 0 });
    expect(layer(ContextLayer.CONTEXT_LAYER_HISTORY)?.droppedItems).toBe(firstKept - 1);

    const rows = await sut.prisma.conversationSummary.findMany({ where: { conversationId } });
    expect(rows).toEqual([
      expect.objectContaining({
        id: summary?.provenance?.sourceId,
        fromSeq: 1,
        toSeq: firstKept - 1,
        model: 'tiny',
        stale: false,
        messageCount: firstKept - 1,
      }),
    ]);
  });

  it('reuses the stored summary on the next turn instead of writing another', async () => {
    const { conversationId } = await seedConversation(sut.prisma, owner, sixTurns());
    const first = await assemble(conversationId);
    const rowBefore = await sut.prisma.conversationSummary.findFirstOrThrow({ where: { conversationId } });

    const second = await assemble(conversationId);

    expect(outline(second)).toEqual(outline(first));
    const rows = await sut.prisma.conversationSummary.findMany({ where: { conversationId } });
    expect(rows).toEqual([expect.objectContaining({ id: rowBefore.id, createdAt: rowBefore.createdAt })]);
  });

  it('rewrites the summary when a message it covers is deleted', async () => {
    const { conversationId, messageIds } = await seedConversation(sut.prisma, owner, sixTurns());
    await assemble(conversationId);
    const before = await sut.prisma.conversationSummary.findFirstOrThrow({ where: { conversationId } });

    await sut.prisma.message.delete({ where: { id: messageIds[1] } });
    const response = await assemble(conversationId);

    const summary = response.messages.find((m) => m.provenance?.layer === ContextLayer.CONTEXT_LAYER_SUMMARY);
    const after = await sut.prisma.conversationSummary.findFirstOrThrow({
      where: { conversationId, stale: false },
    });
    expect(summary?.provenance?.sourceId).toBe(after.id);
    expect(after.createdAt.getTime()).toBeGreaterThan(before.createdAt.getTime());
    expect(after.messageCount).toBe((before.messageCount ?? 0) - 1);
  });

  it('keeps the whole conversation verbatim, without a summary, when it fits', async () => {
    const { conversationId } = await seedConversation(sut.prisma, owner, sixTurns().slice(0, 4));

    const response = await assemble(conversationId);

    expect(outline(response).map((o) => o.layer)).not.toContain(String(ContextLayer.CONTEXT_LAYER_SUMMARY));
    expect(response.truncated).toBe(false);
    expect(await sut.prisma.conversationSummary.count({ where: { conversationId } })).toBe(0);
  });

  it('drops the summaries and the window when the conversation is evicted', async () => {
    const { conversationId } = await seedConversation(sut.prisma, owner, sixTurns());
    await assemble(conversationId);
    expect(await sut.prisma.conversationSummary.count({ where: { conversationId } })).toBe(1);

    await sut.client.evictConversation({ caller: owner.caller, conversationId });

    expect(await sut.prisma.conversationSummary.count({ where: { conversationId } })).toBe(0);
    expect(await sut.redis.exists(`ctx:win:${conversationId}`)).toBe(0);
  });
});
