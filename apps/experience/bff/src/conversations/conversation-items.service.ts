// Owns the items of OpenAI's Conversations API on a stored conversation: listing them (the current
// branch only, newest first unless order=asc, paged by item id), reading one, and adding new ones
// (they continue the current branch), deleting one. Reads come from the messages
// table within the caller's conversation; writes go to the orchestrator, which owns the messages
// (AppendMessages stores them and updates the context service's hot window).
import { branchPath, type PrismaClient } from '@hearth/db';
import { toGrpcError } from '@hearth/grpc';

import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';

import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import { toChatMessages } from '../chat/chat-request.mapper';
import { ApiError } from '../errors/api.error';
import { apiErrorFromGrpc } from '../errors/grpc-status.mapper';
import { toTranscript } from '../responses/responses-request.mapper';
import type { InputItem } from '../responses/responses.schemas';
import type { OrchestratorClient } from '../upstream/upstream.clients';
import { messageIdOf, toItems, type ConversationItem } from './conversation-items.mapper';
import type { ItemsQuery } from './conversations.schemas';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ItemList {
  object: 'list';
  data: ConversationItem[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export class ConversationItemsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly orchestrator: OrchestratorClient,
  ) {}

  /** Adds items to a conversation the caller owns (checked by the orchestrator); the new items. */
  async add(caller: AuthenticatedCaller, conversationId: string, items: InputItem[]): Promise<ItemList> {
    const messages = toChatMessages(toTranscript([], items));
    const { messageIds } = await this.orchestrator
      .appendMessages({ caller: toGrpcCaller(caller), conversationId, messages })
      .catch((error: ServiceError) => {
        throw apiErrorFromGrpc(toGrpcError(error, 'orchestrator'), 'orchestrator');
      });
    const rows = await this.prisma.message.findMany({
      where: { id: { in: messageIds }, conversationId },
      orderBy: { seq: 'asc' },
    });
    return list(rows.flatMap(toItems), false);
  }

  /**
   * A page of the items of a conversation the caller owns (checked before by the caller): the
   * current branch (ending at `leafId`) only, never its siblings.
   */
  async list(conversationId: string, leafId: string | null, query: ItemsQuery): Promise<ItemList> {
    const descending = query.order === 'desc';
    const branch = await branchPath(this.prisma, conversationId, leafId);
    const ordered = descending ? branch.reverse() : branch;
    let from = 0;
    if (query.after !== undefined) {
      const messageId = messageIdOf(query.after);
      from = ordered.findIndex((mark) => mark.id === messageId);
      if (from < 0) throw ApiError.badRequest(`No item '${query.after}' in this conversation.`, 'after');
    }
    // Messages from the cursor's on (it may hold items after the cursor), one more than a page.
    const marks = ordered.slice(from, from + query.limit + 2);
    const found = await this.prisma.message.findMany({ where: { id: { in: marks.map((mark) => mark.id) } } });
    const byId = new Map(found.map((row) => [row.id, row]));
    const rows = marks.flatMap((mark) => byId.get(mark.id) ?? []);
    let items = rows.flatMap((row) => (descending ? toItems(row).reverse() : toItems(row)));
    if (query.after !== undefined)
      items = items.slice(items.findIndex((item) => item.id === query.after) + 1);
    return list(items.slice(0, query.limit), items.length > query.limit);
  }

  /**
   * Deletes an item (OpenAI's DELETE …/items/{item_id}) through the orchestrator, which owns the
   * messages: the message the item belongs to leaves the branch (its children re-attach to its
   * parent) and future contexts. A function_call item belongs to its assistant message, which goes
   * with all its items. 404 for an item that is not in this conversation.
   */
  async delete(caller: AuthenticatedCaller, conversationId: string, itemId: string): Promise<void> {
    const messageId = messageIdOf(itemId);
    if (!UUID.test(messageId)) throw ApiError.notFound('item', itemId);
    await this.orchestrator
      .deleteMessage({ caller: toGrpcCaller(caller), conversationId, messageId })
      .catch((error: ServiceError) => {
        const grpcError = toGrpcError(error, 'orchestrator');
        if (grpcError.code === grpcStatus.NOT_FOUND) throw ApiError.notFound('item', itemId);
        throw apiErrorFromGrpc(grpcError, 'orchestrator');
      });
  }

  async get(conversationId: string, itemId: string): Promise<ConversationItem> {
    const row = UUID.test(messageIdOf(itemId))
      ? await this.prisma.message.findFirst({
          where: { id: messageIdOf(itemId), conversationId, deletedAt: null },
        })
      : null;
    const item = row ? toItems(row).find((candidate) => candidate.id === itemId) : undefined;
    if (!item) throw ApiError.notFound('item', itemId);
    return item;
  }
}

function list(data: ConversationItem[], more: boolean): ItemList {
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: more,
  };
}
