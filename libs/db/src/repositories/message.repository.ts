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
    if (input.requestId && isUniqueViolation(err, ['answer_for_request_id']))
      throw new DuplicateRequestError(input.requestId);
    throw err;
  }
}

async function appendInTransaction(
  tx: Prisma.TransactionClient,
  input: AppendMessageInput,
): Promise<Message> {
  const allocated = await tx.$queryRaw<{ seq: number }[]>`
    UPDATE conversations
       SET next_seq = next_seq + 1, updated_at = now()
     WHERE id = ${input.conversationId}::uuid AND deleted_at IS NULL
    RETURNING next_seq - 1 AS seq`;
  const seq = allocated[0]?.seq;
  if (seq === undefined) throw new ConversationNotFoundError(input.conversationId);
  const requestId = input.requestId ?? null;
  return tx.message.create({
    data: {
      conversationId: input.conversationId,
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
