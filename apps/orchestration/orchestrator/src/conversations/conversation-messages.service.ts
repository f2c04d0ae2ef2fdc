// Owns AppendMessages: messages a client adds to its stored conversation outside a turn (the items of
// OpenAI's Conversations API). The orchestrator owns the messages table, so the BFF asks here. The
// messages are checked by RunTurn's rules (assistant messages and their tool calls allowed: an item
// list may replay a whole exchange), stored in one transaction after the ownership check (another
// tenant's or user's conversation is NOT_FOUND, like a missing one), then handed to the context
// service's hot window; if that fails the window is evicted, so the next turn rebuilds it from the
// database instead of missing them.
import type { commonV1, contextV1, orchestratorV1 } from '@hearth/contracts';
import { appendMessage, ConversationNotFoundError, deleteMessage, type PrismaClient } from '@hearth/db';
import { failedPrecondition, invalidArgument, isUuid, notFound } from '@hearth/grpc';
import type { Logger } from '@hearth/telemetry';

import type { ContextClient } from '../clients/upstream.clients';
import { contentJson, dbRoleOf } from '../turns/message.mapper';
import { turnCaller, validateMessage } from '../turns/turn-request.validator';

/** Most messages one AppendMessages call may add (OpenAI's limit on items per request). */
const MAX_MESSAGES = 20;
const CONTEXT_TIMEOUT_MS = 5_000;

export interface ConversationMessagesDeps {
  prisma: PrismaClient;
  context: Pick<ContextClient, 'appendMessages' | 'evictConversation'>;
  logger: Logger;
}

export class ConversationMessagesService {
  constructor(private readonly deps: ConversationMessagesDeps) {}

  async appendMessages(
    request: orchestratorV1.AppendMessagesRequest,
  ): Promise<orchestratorV1.AppendMessagesResponse> {
    const caller = turnCaller(request.caller);
    if (!caller.userId) throw invalidArgument('caller.user_id is required to add to a conversation');
    if (!isUuid(request.conversationId)) throw invalidArgument('conversation_id must be a UUID');
    if (request.messages.length === 0 || request.messages.length > MAX_MESSAGES)
      throw invalidArgument(`1 to ${MAX_MESSAGES} messages per call`);
    request.messages.forEach((message, index) => validateMessage(message, index, false));
    const { prisma } = this.deps;
    const stored = await prisma
      .$transaction(async (tx) => {
        const owned = await tx.conversation.count({
          where: {
            id: request.conversationId,
            tenantId: caller.tenantId,
            userId: caller.userId,
            deletedAt: null,
          },
        });
        if (owned === 0) throw new ConversationNotFoundError(request.conversationId);
        const rows = [];
        for (const message of request.messages) {
          rows.push(
            await appendMessage(tx, {
              conversationId: request.conversationId,
              role: dbRoleOf(message.role),
              content: contentJson(message),
            }),
          );
        }
        return rows;
      })
      .catch((error: unknown) => {
        if (error instanceof ConversationNotFoundError)
          throw notFound(`conversation ${request.conversationId} not found`);
        throw error;
      });
    await this.toHotWindow(request, stored);
    return { messageIds: stored.map((row) => row.id) };
  }

  /**
   * Soft-deletes one message (its children re-attach to its parent, see @hearth/db's message tree),
   * then evicts the hot window so no context holds it any more; the summaries that covered it see
   * the change and are rebuilt.
   */
  async deleteMessage(
    request: orchestratorV1.DeleteMessageRequest,
  ): Promise<orchestratorV1.DeleteMessageResponse> {
    const caller = turnCaller(request.caller);
    if (!caller.userId) throw invalidArgument('caller.user_id is required to change a conversation');
    if (!isUuid(request.conversationId)) throw invalidArgument('conversation_id must be a UUID');
    if (!isUuid(request.messageId)) throw notFound(`message ${request.messageId} not found`);
    const { prisma } = this.deps;
    const owned = await prisma.conversation.count({
      where: {
        id: request.conversationId,
        tenantId: caller.tenantId,
        userId: caller.userId,
        deletedAt: null,
      },
    });
    if (owned === 0) throw notFound(`conversation ${request.conversationId} not found`);
    const outcome = await deleteMessage(prisma, request.conversationId, request.messageId);
    if (outcome === 'missing') throw notFound(`message ${request.messageId} not found`);
    // Its turn would put it back in the hot window when it ends.
    if (outcome === 'streaming')
      throw failedPrecondition('the message is still being written; delete it once its turn ended');
    await this.deps.context.evictConversation(
      { caller: request.caller as commonV1.Caller, conversationId: request.conversationId, windowOnly: true },
      { timeoutMs: CONTEXT_TIMEOUT_MS },
    );
    return {};
  }

  private async toHotWindow(
    request: orchestratorV1.AppendMessagesRequest,
    stored: { id: string; seq: number; createdAt: Date; parentId: string | null }[],
  ): Promise<void> {
    const caller = request.caller as commonV1.Caller;
    const messages: contextV1.StoredMessage[] = stored.map((row, index) => ({
      messageId: row.id,
      seq: row.seq,
      message: request.messages[index] as commonV1.ChatMessage,
      tokenCount: 0,
      createdAt: row.createdAt,
      parentMessageId: row.parentId ?? '',
    }));
    const options = { timeoutMs: CONTEXT_TIMEOUT_MS };
    try {
      await this.deps.context.appendMessages(
        { caller, conversationId: request.conversationId, messages },
        options,
      );
    } catch (error) {
      this.deps.logger.warn(
        { err: error, conversationId: request.conversationId },
        'hot window append failed; evicting',
      );
      await this.deps.context.evictConversation(
        { caller, conversationId: request.conversationId, windowOnly: false },
        options,
      );
    }
  }
}
