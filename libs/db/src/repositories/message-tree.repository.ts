// The messages of a conversation form a tree (messages.parent_id: the previous message on the
// branch); a branch is the path from a conversation's first message to a leaf. These queries walk it
// for every service that reads history by branch: the path that ends at a message, the newest
// message under one (the end of the branch a switch makes current), and moving the current branch.
// Walks are bounded: a parent always has a lower seq than its child, so a walk cannot cycle, and no
// walk goes deeper than MAX_BRANCH_DEPTH.
import type { MessageRole, MessageStatus } from '../generated/prisma';
import type { DbClient } from './conversation.repository';

/** The deepest branch a walk follows (far beyond any conversation a context could hold). */
export const MAX_BRANCH_DEPTH = 100_000;

/** One message of a branch, without its content (cheap to walk; read contents by id). */
export interface BranchMark {
  id: string;
  seq: number;
  role: MessageRole;
  status: MessageStatus;
  parentId: string | null;
}

/**
 * The branch that ends at `leafId`: that message and its ancestors, oldest first. Empty when
 * `leafId` is null or not a live message of the conversation.
 */
export async function branchPath(
  db: DbClient,
  conversationId: string,
  leafId: string | null,
): Promise<BranchMark[]> {
  if (!leafId) return [];
  return db.$queryRaw<BranchMark[]>`
    WITH RECURSIVE path AS (
      SELECT id, seq, role, status, parent_id, 1 AS depth
        FROM messages
       WHERE id = ${leafId}::uuid AND conversation_id = ${conversationId}::uuid AND deleted_at IS NULL
      UNION ALL
      SELECT m.id, m.seq, m.role, m.status, m.parent_id, p.depth + 1
        FROM messages m JOIN path p ON m.id = p.parent_id
       WHERE m.conversation_id = ${conversationId}::uuid AND p.depth < ${MAX_BRANCH_DEPTH}::int
    )
    SELECT id, seq, role::text AS role, status::text AS status, parent_id AS "parentId"
      FROM path ORDER BY seq`;
}

/**
 * The newest live message in the subtree of `messageId` (itself when it has no children): the end
 * of the most recently extended branch through it. Undefined when it is not a live message of the
 * conversation.
 */
export async function newestDescendant(
  db: DbClient,
  conversationId: string,
  messageId: string,
): Promise<string | undefined> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH RECURSIVE sub AS (
      SELECT id, seq, 1 AS depth
        FROM messages
       WHERE id = ${messageId}::uuid AND conversation_id = ${conversationId}::uuid AND deleted_at IS NULL
      UNION ALL
      SELECT m.id, m.seq, s.depth + 1
        FROM messages m JOIN sub s ON m.parent_id = s.id
       WHERE m.conversation_id = ${conversationId}::uuid AND m.deleted_at IS NULL
         AND s.depth < ${MAX_BRANCH_DEPTH}::int
    )
    SELECT id FROM sub ORDER BY seq DESC LIMIT 1`;
  return rows[0]?.id;
}

/** The conversation's current leaf (null when it has no messages, undefined when it does not exist). */
export async function currentLeaf(db: DbClient, conversationId: string): Promise<string | null | undefined> {
  const row = await db.conversation.findFirst({
    where: { id: conversationId, deletedAt: null },
    select: { currentLeafId: true },
  });
  return row ? row.currentLeafId : undefined;
}

/**
 * Soft-deletes one message of a conversation: it leaves every branch (its children are re-attached
 * to its parent, so the branches through it go on without it) and, when it was the current leaf,
 * its parent becomes the current leaf. Runs under the conversation's row lock, like appends.
 * `missing` when it is not a live message of the conversation; `streaming` (nothing changed) for an
 * answer whose turn is still writing it.
 */
export async function deleteMessage(
  db: DbClient,
  conversationId: string,
  messageId: string,
): Promise<'deleted' | 'missing' | 'streaming'> {
  const [row] = await db.$queryRaw<{ deleted: boolean; streaming: boolean }[]>`
    WITH locked AS MATERIALIZED (
      SELECT id, current_leaf_id FROM conversations
       WHERE id = ${conversationId}::uuid AND deleted_at IS NULL
         FOR UPDATE
    ), gone AS (
      UPDATE messages SET deleted_at = now(), updated_at = now()
       WHERE id = ${messageId}::uuid AND conversation_id = ${conversationId}::uuid AND deleted_at IS NULL
         AND status <> 'streaming' AND EXISTS (SELECT 1 FROM locked)
      RETURNING id, parent_id
    ), children AS (
      UPDATE messages SET parent_id = (SELECT parent_id FROM gone)
       WHERE parent_id = ${messageId}::uuid AND EXISTS (SELECT 1 FROM gone)
      RETURNING 1
    ), leaf AS (
      UPDATE conversations SET current_leaf_id = (SELECT parent_id FROM gone), updated_at = now()
       WHERE id = ${conversationId}::uuid AND EXISTS (SELECT 1 FROM gone)
         AND current_leaf_id = ${messageId}::uuid
      RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM gone) AS deleted,
           EXISTS (SELECT 1 FROM messages
                    WHERE id = ${messageId}::uuid AND conversation_id = ${conversationId}::uuid
                      AND deleted_at IS NULL AND status = 'streaming') AS streaming,
           (SELECT count(*) FROM children) AS children, (SELECT count(*) FROM leaf) AS leaf`;
  if (row?.deleted) return 'deleted';
  return row?.streaming ? 'streaming' : 'missing';
}
