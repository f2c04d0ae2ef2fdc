// Owns the branch view of a stored conversation (an extension): its messages form a tree (a
// regenerated answer or an edited question forks it) and one branch is current. Listing messages
// follows the current branch, each message with its siblings (the alternatives that share its
// parent: a client shows "2/3" and switches between them); switching makes the branch through a
// message current, ending at that message's newest descendant. Callers checked ownership before.
import { branchPath, newestDescendant, type BranchMark, type Message, type PrismaClient } from '@hearth/db';

import { ApiError } from '../errors/api.error';
import type { ConversationBranchObject, ConversationMessageObject, PageQuery } from './conversations.schemas';

export interface MessagePage {
  object: 'list';
  data: ConversationMessageObject[];
  has_more: boolean;
  next_cursor: string | null;
}

export class ConversationBranchesService {
  constructor(private readonly prisma: PrismaClient) {}

  /** The current branch, oldest first (empty while the conversation has no messages). */
  async currentBranch(conversationId: string, leafId: string | null): Promise<BranchMark[]> {
    return branchPath(this.prisma, conversationId, leafId);
  }

  /** A page of the current branch's messages after seq `query.after`, each with its siblings. */
  async listMessages(conversationId: string, leafId: string | null, query: PageQuery): Promise<MessagePage> {
    const after = query.after === undefined ? 0 : Number(query.after);
    if (!Number.isInteger(after) || after < 0) throw ApiError.badRequest('The cursor is malformed.', 'after');
    const marks = (await this.currentBranch(conversationId, leafId)).filter((mark) => mark.seq > after);
    const page = marks.slice(0, query.limit);
    const [rows, siblings] = await Promise.all([
      this.prisma.message.findMany({ where: { id: { in: page.map((mark) => mark.id) } } }),
      this.siblings(conversationId, page),
    ]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const data = page.flatMap((mark) => {
      const row = byId.get(mark.id);
      return row ? [toMessage(row, siblings.get(row.parentId) ?? [row.id])] : [];
    });
    const last = page[page.length - 1];
    const more = marks.length > query.limit;
    return { object: 'list', data, has_more: more, next_cursor: more && last ? String(last.seq) : null };
  }

  /**
   * Makes the branch through `messageId` current: it ends at the message's newest descendant (so
   * switching to an earlier answer brings back the turns that followed it). 404 for an id that is
   * not a live message of this conversation.
   */
  async switchTo(conversationId: string, messageId: string): Promise<ConversationBranchObject> {
    const leaf = await newestDescendant(this.prisma, conversationId, messageId);
    if (!leaf) throw ApiError.notFound('message', messageId);
    await this.prisma.conversation.update({ where: { id: conversationId }, data: { currentLeafId: leaf } });
    const marks = await this.currentBranch(conversationId, leaf);
    return {
      object: 'conversation.branch',
      conversation_id: conversationId,
      current_message_id: leaf,
      message_ids: marks.map((mark) => mark.id),
    };
  }

  /** Live children of each parent of `marks` (null: the conversation's first messages), oldest first. */
  private async siblings(
    conversationId: string,
    marks: readonly BranchMark[],
  ): Promise<Map<string | null, string[]>> {
    const parents = [...new Set(marks.map((mark) => mark.parentId))];
    const ids = parents.filter((parent): parent is string => parent !== null);
    const rows = await this.prisma.message.findMany({
      where: {
        conversationId,
        deletedAt: null,
        OR: [{ parentId: { in: ids } }, ...(parents.includes(null) ? [{ parentId: null }] : [])],
      },
      orderBy: { seq: 'asc' },
      select: { id: true, parentId: true },
    });
    const byParent = new Map<string | null, string[]>();
    for (const row of rows) byParent.set(row.parentId, [...(byParent.get(row.parentId) ?? []), row.id]);
    return byParent;
  }
}

function toMessage(row: Message, siblingIds: string[]): ConversationMessageObject {
  return {
    id: row.id,
    object: 'conversation.message',
    conversation_id: row.conversationId,
    seq: row.seq,
    parent_id: row.parentId,
    sibling_ids: siblingIds,
    sibling_index: Math.max(0, siblingIds.indexOf(row.id)),
    role: row.role,
    content: row.content,
    status: row.status,
    model: row.model,
    finish_reason: row.finishReason,
    created_at: Math.floor(row.createdAt.getTime() / 1000),
  };
}
