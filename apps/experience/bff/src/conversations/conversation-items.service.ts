// Owns the items of OpenAI's Conversations API on a stored conversation: listing them (newest first
// unless order=asc, paged by item id), reading one, and adding new ones. Reads come from the messages
// table within the caller's conversation; writes go to the orchestrator, which owns the messages
// (AppendMessages stores them and updates the context service's hot window).
import type { PrismaClient } from '@hearth/db';
import { toGrpcError } from '@hearth/grpc';

import type { ServiceError } from '@grpc/grpc-js';

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

  /** A page of the items of a conversation the caller owns (checked before by the caller). */
  async list(conversationId: string, query: ItemsQuery): Promise<ItemList> {
    const descending = query.order === 'desc';
    let fromSeq: number | undefined;
    if (query.after !== undefined) {
      const messageId = messageIdOf(query.after);
      const cursor = UUID.test(messageId)
        ? await this.prisma.message.findFirst({
            where: { id: messageId, conversationId },
            select: { seq: true },
          })
        : null;
      if (!cursor) throw ApiError.badRequest(`No item '${query.after}' in this conversation.`, 'after');
      fromSeq = cursor.seq;
    }
    // Rows from the cursor's message on (it may hold items after the cursor), one more than a page.
    const rows = await this.prisma.message.findMany({
      where: {
        conversationId,
        ...(fromSeq !== undefined && { seq: descending ? { lte: fromSeq } : { gte: fromSeq } }),
      },
      orderBy: { seq: descending ? 'desc' : 'asc' },
      take: query.limit + 2,
    });
    let items = rows.flatMap((row) => (descending ? toItems(row).reverse() : toItems(row)));
    if (query.after !== undefined)
      items = items.slice(items.findIndex((item) => item.id === query.after) + 1);
    return list(items.slice(0, query.limit), items.length > query.limit);
  }

  async get(conversationId: string, itemId: string): Promise<ConversationItem> {
    const row = UUID.test(messageIdOf(itemId))
      ? await this.prisma.message.findFirst({ where: { id: messageIdOf(itemId), conversationId } })
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
