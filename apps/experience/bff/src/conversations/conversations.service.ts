// Owns the conversations extension: conversations and their messages read and changed strictly
// within the caller's tenant and user (another tenant's ids are indistinguishable from missing ones:
// 404), deletion as a tombstone after the context service dropped its hot state, turn traces from the
// orchestrator (owner or a tenant admin), message feedback stored with its audit event in one
// transaction (outbox), and approval/rejection of tool calls waiting for the user (tool runner).
import { toolsV1 } from '@hearth/contracts';
import {
  createConversation,
  InvalidCursorError,
  jsonbSafe,
  listConversations,
  softDeleteConversation,
  type Conversation,
  type Message,
  type PrismaClient,
} from '@hearth/db';
import { AUDIT_TOPIC } from '@hearth/events';
import type { Logger } from '@hearth/telemetry';
import { enqueue } from '@hearth/transactional-events';

import { toGrpcCaller, type AuthenticatedCaller } from '../auth/authenticated-caller';
import { ApiError } from '../errors/api.error';
import type { InputItem } from '../responses/responses.schemas';
import type { ContextClient, OrchestratorClient, ToolRunnerClient } from '../upstream/upstream.clients';
import type { ConversationBranchesService, MessagePage } from './conversation-branches.service';
import type { ConversationItem } from './conversation-items.mapper';
import type { ConversationItemsService, ItemList } from './conversation-items.service';
import type {
  ConversationBranchObject,
  ConversationObject,
  CreateConversationBody,
  FeedbackBody,
  ItemsQuery,
  PageQuery,
  UpdateConversationBody,
} from './conversations.schemas';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ConversationsServiceOptions {
  prisma: PrismaClient;
  items: ConversationItemsService;
  branches: ConversationBranchesService;
  orchestrator: OrchestratorClient;
  context?: ContextClient;
  toolRunner?: ToolRunnerClient;
  logger: Logger;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  /** Pass as `after` for the next page; null on the last page. */
  next_cursor: string | null;
}

export class ConversationsService {
  constructor(private readonly options: ConversationsServiceOptions) {}

  /** OpenAI's create: metadata and initial items (added through the orchestrator, which owns messages). */
  async create(caller: AuthenticatedCaller, body: CreateConversationBody): Promise<ConversationObject> {
    const row = await createConversation(this.options.prisma, {
      tenantId: caller.tenantId,
      userId: caller.userId,
      // Text columns and jsonb cannot hold a NUL (nor jsonb an unpaired surrogate).
      title: jsonbSafe(body.title ?? null),
      metadata: jsonbSafe(body.metadata ?? {}),
    });
    if (body.items?.length) {
      try {
        await this.options.items.add(caller, row.id, body.items);
      } catch (error) {
        // Items the orchestrator refused leave no empty conversation behind.
        await this.options.prisma.conversation.delete({ where: { id: row.id } });
        throw error;
      }
    }
    return toConversation(row);
  }

  /** OpenAI's update (metadata replaced), and the title extension. */
  async update(
    caller: AuthenticatedCaller,
    id: string,
    body: UpdateConversationBody,
  ): Promise<ConversationObject> {
    await this.owned(caller, id);
    const row = await this.options.prisma.conversation.update({
      where: { id },
      data: {
        ...(body.metadata != null && { metadata: jsonbSafe(body.metadata) }),
        ...(body.title !== undefined && { title: jsonbSafe(body.title) }),
      },
    });
    return toConversation(row);
  }

  async listItems(caller: AuthenticatedCaller, id: string, query: ItemsQuery): Promise<ItemList> {
    const conversation = await this.owned(caller, id);
    return this.options.items.list(id, conversation.currentLeafId, query);
  }

  async addItems(caller: AuthenticatedCaller, id: string, items: InputItem[]): Promise<ItemList> {
    await this.owned(caller, id);
    return this.options.items.add(caller, id, items);
  }

  /** OpenAI's delete item: the conversation object after the deletion. */
  async deleteItem(caller: AuthenticatedCaller, id: string, itemId: string): Promise<ConversationObject> {
    await this.owned(caller, id);
    await this.options.items.delete(caller, id, itemId);
    return this.get(caller, id);
  }

  async getItem(caller: AuthenticatedCaller, id: string, itemId: string): Promise<ConversationItem> {
    await this.owned(caller, id);
    return this.options.items.get(id, itemId);
  }

  async list(caller: AuthenticatedCaller, query: PageQuery): Promise<ListPage<ConversationObject>> {
    try {
      const page = await listConversations(this.options.prisma, {
        tenantId: caller.tenantId,
        userId: caller.userId,
        limit: query.limit,
        cursor: query.after,
      });
      return {
        object: 'list',
        data: page.items.map(toConversation),
        has_more: page.nextCursor !== null,
        next_cursor: page.nextCursor,
      };
    } catch (error) {
      if (error instanceof InvalidCursorError) throw ApiError.badRequest('The cursor is malformed.', 'after');
      throw error;
    }
  }

  async get(caller: AuthenticatedCaller, id: string): Promise<ConversationObject> {
    return toConversation(await this.owned(caller, id));
  }

  async rename(caller: AuthenticatedCaller, id: string, title: string): Promise<ConversationObject> {
    await this.owned(caller, id);
    const row = await this.options.prisma.conversation.update({
      where: { id },
      data: { title: jsonbSafe(title) },
    });
    return toConversation(row);
  }

  async delete(
    caller: AuthenticatedCaller,
    id: string,
  ): Promise<{ id: string; object: 'conversation.deleted'; deleted: true }> {
    await this.owned(caller, id);
    // Evict first: if the context service is down the request fails (503) and can be retried,
    // instead of leaving a tombstoned conversation whose hot window still lives in Redis.
    if (this.options.context) {
      await this.options.context.evictConversation({
        caller: toGrpcCaller(caller),
        conversationId: id,
        windowOnly: false,
      });
    }
    if (!(await softDeleteConversation(this.options.prisma, caller.tenantId, id))) {
      throw ApiError.notFound('conversation', id);
    }
    return { id, object: 'conversation.deleted', deleted: true };
  }

  /** Extension: the current branch's messages, each with its siblings (conversation-branches.service.ts). */
  async listMessages(caller: AuthenticatedCaller, id: string, query: PageQuery): Promise<MessagePage> {
    const conversation = await this.owned(caller, id);
    return this.options.branches.listMessages(id, conversation.currentLeafId, query);
  }

  /** Extension: makes the branch through a message current. */
  async switchBranch(
    caller: AuthenticatedCaller,
    id: string,
    messageId: string,
  ): Promise<ConversationBranchObject> {
    await this.owned(caller, id);
    return this.options.branches.switchTo(id, messageId);
  }

  /** The turn trace behind an assistant message: its owner, or an admin key of the same tenant. */
  async trace(caller: AuthenticatedCaller, conversationId: string, messageId: string): Promise<unknown> {
    const admin = caller.scopes.has('admin');
    const message = await this.message(caller, conversationId, messageId, admin);
    if (!message.requestId) throw ApiError.notFound('trace of message', messageId);
    const response = await this.options.orchestrator.getTurnTrace({
      caller: toGrpcCaller(caller),
      turnId: '',
      requestId: message.requestId,
    });
    return { object: 'turn.trace', message_id: messageId, ...(snakeCase(response.trace) as object) };
  }

  async feedback(
    caller: AuthenticatedCaller,
    conversationId: string,
    messageId: string,
    body: FeedbackBody,
  ): Promise<object> {
    const message = await this.message(caller, conversationId, messageId, false);
    if (message.role !== 'assistant') {
      throw ApiError.badRequest('Feedback is given on assistant messages.', 'message_id');
    }
    const comment = jsonbSafe(body.comment ?? null);
    const row = await this.options.prisma.$transaction(async (tx) => {
      const saved = await tx.messageFeedback.upsert({
        where: { messageId_userId: { messageId, userId: caller.userId } },
        create: {
          tenantId: caller.tenantId,
          userId: caller.userId,
          conversationId,
          messageId,
          rating: body.rating,
          comment,
        },
        update: { rating: body.rating, comment },
      });
      // The audit event carries the rating, never the comment's words.
      await enqueue(tx, AUDIT_TOPIC, {
        id: crypto.randomUUID(),
        occurredAt: new Date().toISOString(),
        tenantId: caller.tenantId,
        type: 'llm.audit',
        version: 1,
        payload: {
          actor: { type: 'user', id: caller.userId },
          action: 'message.feedback',
          ruleIds: [],
          resource: { type: 'message', id: messageId },
          metadata: {
            rating: body.rating,
            has_comment: comment !== null && comment.length > 0,
            conversation_id: conversationId,
            api_key_id: caller.apiKeyId,
          },
        },
      });
      return saved;
    });
    return {
      id: row.id,
      object: 'message.feedback',
      message_id: messageId,
      rating: row.rating,
      comment: row.comment,
      created_at: Math.floor(row.createdAt.getTime() / 1000),
      updated_at: Math.floor(row.updatedAt.getTime() / 1000),
    };
  }

  async resolveToolCall(
    caller: AuthenticatedCaller,
    conversationId: string,
    callId: string,
    approve: boolean,
    reason: string | undefined,
  ): Promise<object> {
    await this.owned(caller, conversationId);
    // A NUL cannot be in a stored call id (and PostgreSQL refuses it in a query).
    const call = callId.includes('\u0000')
      ? null
      : await this.options.prisma.toolCall.findFirst({
          where: { tenantId: caller.tenantId, conversationId, callId },
        });
    if (!call || (call.userId && call.userId !== caller.userId)) throw ApiError.notFound('tool call', callId);
    if (!this.options.toolRunner) {
      throw new ApiError(503, 'Tool confirmations are not available on this server.', {
        code: 'service_unavailable',
        headers: { 'retry-after': '60' },
      });
    }
    const response = await this.options.toolRunner.resolveConfirmation({
      caller: toGrpcCaller(caller),
      callId,
      decision: approve
        ? toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_APPROVE
        : toolsV1.ConfirmationDecision.CONFIRMATION_DECISION_REJECT,
      reason: reason ?? '',
      deadline: new Date(Date.now() + 60_000),
    });
    const execution = response.execution;
    return {
      object: 'tool_call.execution',
      call_id: callId,
      name: execution?.name ?? call.name,
      status: toolStatusName(execution?.status),
      result: execution?.resultJson ? (JSON.parse(execution.resultJson) as unknown) : null,
      error: execution?.error ? { reason: execution.error.reason, message: execution.error.message } : null,
    };
  }

  private async owned(caller: AuthenticatedCaller, id: string): Promise<Conversation> {
    const row = UUID.test(id)
      ? await this.options.prisma.conversation.findFirst({
          where: { id, tenantId: caller.tenantId, userId: caller.userId, deletedAt: null },
        })
      : null;
    if (!row) throw ApiError.notFound('conversation', id);
    return row;
  }

  private async message(
    caller: AuthenticatedCaller,
    conversationId: string,
    messageId: string,
    anyUserOfTenant: boolean,
  ): Promise<Message> {
    if (!UUID.test(conversationId) || !UUID.test(messageId)) throw ApiError.notFound('message', messageId);
    const row = await this.options.prisma.message.findFirst({
      where: {
        id: messageId,
        conversationId,
        conversation: {
          tenantId: caller.tenantId,
          deletedAt: null,
          ...(anyUserOfTenant ? {} : { userId: caller.userId }),
        },
      },
    });
    if (!row) throw ApiError.notFound('message', messageId);
    return row;
  }
}

function toConversation(row: Conversation): ConversationObject {
  return {
    id: row.id,
    object: 'conversation',
    title: row.title,
    metadata: (row.metadata ?? {}) as Record<string, string>,
    created_at: Math.floor(row.createdAt.getTime() / 1000),
    updated_at: Math.floor(row.updatedAt.getTime() / 1000),
  };
}

function toolStatusName(status: toolsV1.ToolCallStatus | undefined): string {
  const name = status === undefined ? undefined : toolsV1.ToolCallStatus[status];
  return name ? name.replace('TOOL_CALL_STATUS_', '').toLowerCase() : 'unknown';
}

/** camelCase proto objects to the snake_case JSON the public API speaks; Dates to ISO strings. */
export function snakeCase(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(snakeCase);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        snakeCase(v),
      ]),
    );
  }
  return value;
}
