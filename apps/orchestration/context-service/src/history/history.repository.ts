// Owns the context service's reads of conversations and messages in PostgreSQL: the conversation
// (tenant- and user-scoped, tombstones hidden), the last turns of a conversation, its pinned system
// messages, a seq range (for summaries, and history a cached window no longer holds), where turns
// start (for planning summaries), and a cheap integrity check of a summarized range.
import type { commonV1 } from '@hearth/contracts';
import type { PrismaClient } from '@hearth/db';

import { toChatMessage } from './stored-message.mapper';

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
}

/** Drafts still streaming and blocked turns are never context. */
const USABLE_STATUSES = ['complete', 'incomplete'] as const;
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
      select: { id: true, tenantId: true, userId: true },
    });
    return row ?? undefined;
  }

  /** Pinned system messages and the messages of the last `turns` turns (a turn starts at a user message). */
  async loadWindow(conversationId: string, turns: number): Promise<WindowSnapshot> {
    const nthUser = await this.prisma.message.findMany({
      where: { conversationId, role: 'user', status: { in: [...USABLE_STATUSES] } },
      orderBy: { seq: 'desc' },
      skip: turns - 1,
      take: 1,
      select: { seq: true },
    });
    const start = nthUser[0]?.seq ?? 0;
    const [pinned, messages, older] = await Promise.all([
      this.prisma.message.findMany({
        where: { conversationId, role: 'system', status: { in: [...USABLE_STATUSES] } },
        orderBy: { seq: 'asc' },
        take: MAX_PINNED,
        select: { id: true, seq: true, role: true, content: true },
      }),
      this.prisma.message.findMany({
        where: {
          conversationId,
          seq: { gte: start },
          role: { not: 'system' },
          status: { in: [...USABLE_STATUSES] },
        },
        orderBy: { seq: 'asc' },
        select: { id: true, seq: true, role: true, content: true },
      }),
      start > 0
        ? this.prisma.message.findFirst({
            where: {
              conversationId,
              seq: { lt: start },
              role: { not: 'system' },
              status: { in: [...USABLE_STATUSES] },
            },
            select: { seq: true },
          })
        : Promise.resolve(null),
    ]);
    const toEntry = (row: { id: string; seq: number; role: string; content: unknown }): WindowEntry => ({
      id: row.id,
      seq: row.seq,
      message: toChatMessage(row.role, row.content),
    });
    return { pinned: pinned.map(toEntry), messages: messages.map(toEntry), hasOlder: older !== null };
  }

  /** Usable non-system messages with seq in [fromSeq, toSeq], oldest first. */
  async messagesInRange(conversationId: string, fromSeq: number, toSeq: number): Promise<WindowEntry[]> {
    const rows = await this.prisma.message.findMany({
      where: {
        conversationId,
        seq: { gte: fromSeq, lte: toSeq },
        role: { not: 'system' },
        status: { in: [...USABLE_STATUSES] },
      },
      orderBy: { seq: 'asc' },
      select: { id: true, seq: true, role: true, content: true },
    });
    return rows.map((row) => ({ id: row.id, seq: row.seq, message: toChatMessage(row.role, row.content) }));
  }

  /**
   * The newest `limit` usable non-system messages with seq in [fromSeq, toSeq], oldest first, and
   * whether older ones in the range were left out.
   */
  async newestInRange(
    conversationId: string,
    fromSeq: number,
    toSeq: number,
    limit: number,
  ): Promise<{ entries: WindowEntry[]; more: boolean }> {
    const rows = await this.prisma.message.findMany({
      where: {
        conversationId,
        seq: { gte: fromSeq, lte: toSeq },
        role: { not: 'system' },
        status: { in: [...USABLE_STATUSES] },
      },
      orderBy: { seq: 'desc' },
      take: limit + 1,
      select: { id: true, seq: true, role: true, content: true },
    });
    const entries = rows
      .slice(0, limit)
      .reverse()
      .map((row) => ({ id: row.id, seq: row.seq, message: toChatMessage(row.role, row.content) }));
    return { entries, more: rows.length > limit };
  }

  /** Seq and turn starts (user messages) of the usable non-system messages from `fromSeq` on. */
  async turnMarks(conversationId: string, fromSeq: number): Promise<{ seq: number; startsTurn: boolean }[]> {
    const rows = await this.prisma.message.findMany({
      where: {
        conversationId,
        seq: { gte: fromSeq },
        role: { not: 'system' },
        status: { in: [...USABLE_STATUSES] },
      },
      orderBy: { seq: 'asc' },
      select: { seq: true, role: true },
    });
    return rows.map((row) => ({ seq: row.seq, startsTurn: row.role === 'user' }));
  }

  /** Rows (any role or status) in [fromSeq, toSeq] and the latest change among them. */
  async rangeState(
    conversationId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<{ count: number; lastUpdatedAt: Date | null }> {
    const result = await this.prisma.message.aggregate({
      where: { conversationId, seq: { gte: fromSeq, lte: toSeq } },
      _count: { _all: true },
      _max: { updatedAt: true },
    });
    return { count: result._count._all, lastUpdatedAt: result._max.updatedAt };
  }
}
