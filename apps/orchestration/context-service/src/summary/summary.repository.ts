// Owns conversation_summaries rows: the newest one of a branch not marked stale together with the current state
// of the messages it covers (one query, so an assembly can check it is still valid without a second
// round trip), saving the next version, marking one stale when its messages changed, and dropping a
// conversation's summaries.
import { Prisma, type ConversationSummary, type PrismaClient } from '@hearth/db';

export type SummaryRow = Pick<
  ConversationSummary,
  'id' | 'version' | 'fromSeq' | 'toSeq' | 'text' | 'createdAt' | 'messageCount' | 'throughMessageId'
>;

/** A summary with the messages in its range as they are now (any role or status). */
export interface CheckedSummary extends SummaryRow {
  rowsNow: number;
  lastUpdatedAt: Date | null;
}

export interface SaveSummaryInput {
  conversationId: string;
  fromSeq: number;
  toSeq: number;
  text: string;
  model: string;
  tokenCount: number | null;
  messageCount: number;
  /** The last message covered: the summary belongs to the branch through it. */
  throughMessageId: string;
}

const SELECT = {
  id: true,
  version: true,
  fromSeq: true,
  toSeq: true,
  text: true,
  createdAt: true,
  messageCount: true,
  throughMessageId: true,
} as const;

/**
 * Summaries (`s`) with the state of the range each covers (`r`: its rows now and their newest update),
 * as CheckedSummary columns; the caller adds WHERE, ORDER BY and LIMIT.
 */
export const CHECKED_SUMMARIES = Prisma.sql`
  SELECT s.id, s.version, s.from_seq AS "fromSeq", s.to_seq AS "toSeq", s.text,
         s.created_at AS "createdAt", s.message_count AS "messageCount",
         s.through_message_id AS "throughMessageId",
         r.rows_now AS "rowsNow", r.last_updated_at AS "lastUpdatedAt"
    FROM conversation_summaries s
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS rows_now, max(m.updated_at) AS last_updated_at
        FROM messages m
       WHERE m.conversation_id = s.conversation_id AND m.seq BETWEEN s.from_seq AND s.to_seq
         AND m.deleted_at IS NULL
    ) r`;

export class SummaryRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * The newest summary not marked stale ending before `beforeSeq` (0: any) whose last covered
   * message is on `branchIds` (the branch being answered: a summary of a sibling branch never
   * serves), with its range's state.
   */
  async newestChecked(
    conversationId: string,
    branchIds: readonly string[],
    beforeSeq = 0,
  ): Promise<CheckedSummary | undefined> {
    if (branchIds.length === 0) return undefined;
    const limit = beforeSeq > 0 ? beforeSeq : 2_147_483_647;
    const rows = await this.prisma.$queryRaw<CheckedSummary[]>`
      ${CHECKED_SUMMARIES}
       WHERE s.conversation_id = ${conversationId}::uuid AND s.stale = false AND s.to_seq < ${limit}
         AND s.through_message_id = ANY(${[...branchIds]}::uuid[])
       ORDER BY s.to_seq DESC, s.version DESC
       LIMIT 1`;
    return rows[0];
  }

  /**
   * Stores a summary as the conversation's next version (a new row, even for a range written before:
   * a trace that named a version keeps meaning that text). Callers hold the conversation's summary
   * lease; the unique version turns a writer that lost it into a failed insert, not a duplicate.
   */
  async save(input: SaveSummaryInput): Promise<SummaryRow> {
    const { _max } = await this.prisma.conversationSummary.aggregate({
      where: { conversationId: input.conversationId },
      _max: { version: true },
    });
    return this.prisma.conversationSummary.create({
      data: { ...input, version: (_max.version ?? 0) + 1 },
      select: SELECT,
    });
  }

  /** Marks one summary stale (its text repeats messages that were since deleted or edited). */
  async markStale(id: string): Promise<void> {
    await this.prisma.conversationSummary.update({ where: { id }, data: { stale: true } });
  }

  async deleteAll(conversationId: string): Promise<number> {
    const { count } = await this.prisma.conversationSummary.deleteMany({ where: { conversationId } });
    return count;
  }
}

/** Same rows as when the summary was written (none deleted), none edited since. */
export function isUnchanged(summary: CheckedSummary): boolean {
  return (
    (summary.messageCount === null || summary.rowsNow === summary.messageCount) &&
    (summary.lastUpdatedAt === null || summary.lastUpdatedAt <= summary.createdAt)
  );
}
