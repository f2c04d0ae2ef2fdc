// Owns conversation_summaries rows: the newest usable summary up to a seq, saving one (a summary of
// the same range replaces the old text, so two turns racing write one row), and marking or dropping
// a conversation's summaries when their messages changed.
import type { ConversationSummary, PrismaClient } from '@hearth/db';

export type SummaryRow = Pick<
  ConversationSummary,
  'id' | 'fromSeq' | 'toSeq' | 'text' | 'createdAt' | 'messageCount'
>;

export interface SaveSummaryInput {
  conversationId: string;
  fromSeq: number;
  toSeq: number;
  text: string;
  model: string;
  tokenCount: number | null;
  messageCount: number;
}

const SELECT = {
  id: true,
  fromSeq: true,
  toSeq: true,
  text: true,
  createdAt: true,
  messageCount: true,
} as const;

export class SummaryRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The fresh (not stale) summary reaching furthest without passing `toSeq`. */
  latestUpTo(conversationId: string, toSeq: number): Promise<SummaryRow | null> {
    return this.prisma.conversationSummary.findFirst({
      where: { conversationId, stale: false, toSeq: { lte: toSeq } },
      orderBy: [{ toSeq: 'desc' }, { createdAt: 'desc' }],
      select: SELECT,
    });
  }

  save(input: SaveSummaryInput): Promise<SummaryRow> {
    const data = {
      text: input.text,
      model: input.model,
      tokenCount: input.tokenCount,
      messageCount: input.messageCount,
      stale: false,
    };
    return this.prisma.conversationSummary.upsert({
      where: {
        conversationId_fromSeq_toSeq: {
          conversationId: input.conversationId,
          fromSeq: input.fromSeq,
          toSeq: input.toSeq,
        },
      },
      create: { conversationId: input.conversationId, fromSeq: input.fromSeq, toSeq: input.toSeq, ...data },
      // createdAt is when the text was written: the staleness check compares message edits with it.
      update: { ...data, createdAt: new Date() },
      select: SELECT,
    });
  }

  /** Marks every summary covering `fromSeq` or later as stale (their text includes changed messages). */
  async markStaleFrom(conversationId: string, fromSeq: number): Promise<void> {
    await this.prisma.conversationSummary.updateMany({
      where: { conversationId, toSeq: { gte: fromSeq } },
      data: { stale: true },
    });
  }

  async deleteAll(conversationId: string): Promise<number> {
    const { count } = await this.prisma.conversationSummary.deleteMany({ where: { conversationId } });
    return count;
  }
}
