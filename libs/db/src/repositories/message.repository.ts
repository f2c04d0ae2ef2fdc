// Appends messages to a conversation with a dense, gap-free `seq` that stays correct when two
// tabs (or two orchestrator replicas) append to the same conversation at once.
//
// Allocation uses the per-conversation counter conversations.next_seq:
//   UPDATE conversations SET next_seq = next_seq + 1 … RETURNING next_seq - 1
// in the same transaction as the INSERT. The UPDATE is the allocation *and* the row lock, in one
// round trip; concurrent appenders queue on that row until the first commits, and a rolled-back
// insert rolls the counter back too, so there are no gaps (a SEQUENCE would leave them). The
// alternative, SELECT … FOR UPDATE then max(seq)+1, costs an extra round trip and an index scan
// for the same serialisation. The unique (conversation_id, seq) stays as the last line of defence.
// The same lock orders the branch: an appended message continues the conversation's current leaf
// (its parent) and becomes the new current leaf.
import { randomUUID } from 'node:crypto';

import { ConversationNotFoundError, DuplicateRequestError, isUniqueViolation } from '../db.errors';
import type { Message, MessageRole, MessageStatus, Prisma, PrismaClient } from '../generated/prisma';
import type { DbClient } from './conversation.repository';

export interface AppendMessageInput {
  conversationId: string;
  role: MessageRole;
  content: Prisma.InputJsonValue;
  status?: MessageStatus;
  tokenCount?: number | null;
  /**
   * The request (turn) writing this message. On an assistant message it also becomes the turn's
   * unique answer key, so a replayed request id fails with DuplicateRequestError.
   */
  requestId?: string | null;
  model?: string | null;
  finishReason?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A transaction client is a PrismaClient without $transaction (and $connect, …).
function isRootClient(db: DbClient): db is PrismaClient {
  return '$transaction' in db;
}

/**
 * Appends one message and returns it with its allocated seq. Given a PrismaClient it runs in its
 * own transaction; given a transaction client it joins that transaction (e.g. the orchestrator
 * appending the user message and the assistant draft atomically), and the conversation row stays
 * locked until that transaction ends — keep such transactions short.
 */
export async function appendMessage(db: DbClient, input: AppendMessageInput): Promise<Message> {
  if (!UUID.test(input.conversationId)) throw new ConversationNotFoundError(input.conversationId);
  try {
    return isRootClient(db)
      ? await db.$transaction((tx) => appendInTransaction(tx, input))
      : await appendInTransaction(db, input);
  } catch (err) {
    if (input.requestId && isUniqueViolation(err, ['conversation_id', 'answer_for_request_id']))
      throw new DuplicateRequestError(input.requestId);
    throw err;
  }
}

async function appendInTransaction(
  tx: Prisma.TransactionClient,
  input: AppendMessageInput,
): Promise<Message> {
  const id = randomUUID();
  // The locking read returns the leaf as the previous appender left it (READ COMMITTED re-reads a
  // row it waited for), so concurrent appends chain instead of forking.
  const allocated = await tx.$queryRaw<{ seq: number; parent: string | null }[]>`
    UPDATE conversations c
       SET next_seq = c.next_seq + 1, current_leaf_id = ${id}::uuid, updated_at = now()
      FROM (SELECT id, current_leaf_id FROM conversations
             WHERE id = ${input.conversationId}::uuid AND deleted_at IS NULL FOR UPDATE) old
     WHERE c.id = old.id
    RETURNING c.next_seq - 1 AS seq, old.current_leaf_id AS parent`;
  const seq = allocated[0]?.seq;
  if (seq === undefined) throw new ConversationNotFoundError(input.conversationId);
  const requestId = input.requestId ?? null;
  return tx.message.create({
    data: {
      id,
      conversationId: input.conversationId,
      parentId: allocated[0]?.parent ?? null,
      seq,
      role: input.role,
      content: input.content,
      status: input.status ?? 'complete',
      tokenCount: input.tokenCount ?? null,
      requestId,
      answerForRequestId: input.role === 'assistant' ? requestId : null,
      model: input.model ?? null,
      finishReason: input.finishReason ?? null,
    },
  });
}
