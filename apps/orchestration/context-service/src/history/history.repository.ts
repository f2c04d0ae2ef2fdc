// Owns the context service's reads of conversations and messages in PostgreSQL: the conversation
// (tenant- and user-scoped, tombstones hidden), the branch a turn continues (messages form a tree:
// a branch is the path from the first message to a leaf, see @hearth/db's message tree), and, on that
// branch only, the last turns and pinned system messages, a seq range (for summaries, and history a
// cached window no longer holds) and where turns start (for planning summaries); plus a cheap
// integrity check of a summarized range. Siblings of the branch are never read.
import type { commonV1 } from '@hearth/contracts';
import { branchPath, type BranchMark, type PrismaClient } from '@hearth/db';

import { historyMarks, startOfLastTurnMarks, usableMarks, type Branch } from './branch-marks';
import { toChatMessage } from './stored-message.mapper';

export type { Branch } from './branch-marks';

/** A message as held in the hot window. */
export interface WindowEntry {
  id: string;
  seq: number;
  message: commonV1.ChatMessage;
}

export interface ConversationRef {
  id: string;
  tenantId: string;
  userId: string;
  /** The end of the conversation's current branch (null while it has no messages). */
  currentLeafId: string | null;
}

/** System messages stored in a conversation are pinned instructions; bound them all the same. */
const MAX_PINNED = 20;

export interface WindowSnapshot {
  pinned: WindowEntry[];
  messages: WindowEntry[];
  /** True when usable messages exist before the first window message. */
  hasOlder: boolean;
}

export class HistoryRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async findConversation(tenantId: string, conversationId: string): Promise<ConversationRef | undefined> {
    const row = await this.prisma.conversation.findFirst({
      where: { id: conversationId, tenantId, deletedAt: null },
      select: { id: true, tenantId: true, userId: true, currentLeafId: true },
    });
    return row ?? undefined;
  }

  /** The branch that ends at `leafId` (empty when it is null or no live message of the conversation). */
  async branch(conversationId: string, leafId: string | null): Promise<Branch> {
    return { leafId, marks: await branchPath(this.prisma, conversationId, leafId) };
  }

  /** The branch ending at the conversation's current leaf. */
  async currentBranch(conversationId: string): Promise<Branch> {
    const row = await this.prisma.conversation.findFirst({
      where: { id: conversationId },
      select: { currentLeafId: true },
    });
    return this.branch(conversationId, row?.currentLeafId ?? null);
  }

  /** Pinned system messages and the messages of the last `turns` turns of a branch. */
  async loadWindow(branch: Branch, turns: number): Promise<WindowSnapshot> {
    const usable = usableMarks(branch);
    const pinned = usable.filter((mark) => mark.role === 'system').slice(0, MAX_PINNED);
    const history = usable.filter((mark) => mark.role !== 'system');
    const start = startOfLastTurnMarks(history, turns);
    const entries = await this.entries([...pinned, ...history.slice(start)]);
    return {
      pinned: entries.slice(0, pinned.length),
      messages: entries.slice(pinned.length),
      hasOlder: start > 0,
    };
  }

  /** Usable non-system messages of a branch with seq in [fromSeq, toSeq], oldest first. */
  messagesInRange(branch: Branch, fromSeq: number, toSeq: number): Promise<WindowEntry[]> {
    return this.entries(historyMarks(branch, fromSeq, toSeq));
  }

  /**
   * The newest `limit` usable non-system messages of a branch with seq in [fromSeq, toSeq], oldest
   * first, and whether older ones in the range were left out.
   */
  async newestInRange(
    branch: Branch,
    fromSeq: number,
    toSeq: number,
    limit: number,
  ): Promise<{ entries: WindowEntry[]; more: boolean }> {
    const marks = historyMarks(branch, fromSeq, toSeq);
    const kept = marks.slice(Math.max(0, marks.length - limit));
    return { entries: await this.entries(kept), more: marks.length > limit };
  }

  /** Live rows (any role or status) in [fromSeq, toSeq] and the latest change among them. */
  async rangeState(
    conversationId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<{ count: number; lastUpdatedAt: Date | null }> {
    const result = await this.prisma.message.aggregate({
      where: { conversationId, seq: { gte: fromSeq, lte: toSeq }, deletedAt: null },
      _count: { _all: true },
      _max: { updatedAt: true },
    });
    return { count: result._count._all, lastUpdatedAt: result._max.updatedAt };
  }

  /** The contents of `marks`, in their order. */
  private async entries(marks: readonly BranchMark[]): Promise<WindowEntry[]> {
    if (marks.length === 0) return [];
    const rows = await this.prisma.message.findMany({
      where: { id: { in: marks.map((mark) => mark.id) } },
      select: { id: true, seq: true, role: true, content: true },
    });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return marks.flatMap((mark) => {
      const row = byId.get(mark.id);
      return row ? [{ id: row.id, seq: row.seq, message: toChatMessage(row.role, row.content) }] : [];
    });
  }
}
