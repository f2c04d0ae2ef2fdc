// Owns everything a turn writes to PostgreSQL. A turn's TurnTrace row is inserted first, in the same
// transaction as the turn's user messages and assistant draft: its unique request id and unique
// (tenant, idempotency key) make it the turn's idempotency record, so a repeated request can never
// start a second generation even across processes. Messages get their seq through @hearth/db's
// appendMessage (the conversation row's counter: dense and ordered under concurrent turns). The
// turn's end (final message, trace, audit events through the outbox) commits in one transaction.
import { randomUUID } from 'node:crypto';

import { commonV1 } from '@hearth/contracts';
import {
  appendMessage,
  isUniqueViolation,
  type Message,
  type Prisma,
  type PrismaClient,
  type TurnTrace,
} from '@hearth/db';
import { AUDIT_TOPIC, enqueue, type AuditEventInput } from '@hearth/events';

import { alreadyExists, notFound } from '../errors/orchestrator.errors';
import { contentJson, dbRoleOf } from './message.mapper';

export type AuditPayload = AuditEventInput['payload'];

export interface BeginTurnInput {
  tenantId: string;
  userId?: string;
  requestId: string;
  idempotencyKey?: string;
  conversationId?: string;
  model: string;
  params: Prisma.InputJsonObject;
  traceId?: string;
  messages: commonV1.ChatMessage[];
}

export interface StoredTurnMessage {
  id: string;
  seq: number;
  message: commonV1.ChatMessage;
  createdAt: Date;
}

export interface BegunTurn {
  turnId: string;
  createdAt: Date;
  inputMessages: StoredTurnMessage[];
  assistantMessageId?: string;
  assistantSeq?: number;
}

export type BeginOutcome = { begun: BegunTurn } | { duplicate: TurnTrace };

export interface FinishTurnInput {
  turnId: string;
  tenantId: string;
  assistantMessageId?: string;
  /** The assistant message's final state. */
  message?: {
    content: Prisma.InputJsonObject;
    status: 'complete' | 'incomplete' | 'blocked';
    finishReason: string;
    tokenCount: number;
    model: string;
  };
  trace: {
    finishReason: string;
    error?: Prisma.InputJsonObject;
    model: string;
    modelVersion?: string;
    promptInput: Prisma.InputJsonArray;
    inputTokens: number;
    cachedTokens: number;
    outputTokens: number;
    safetyDecisions: Prisma.InputJsonArray;
    toolRounds: Prisma.InputJsonArray;
    latency: Prisma.InputJsonObject;
    params: Prisma.InputJsonObject;
  };
  audit: AuditPayload[];
}

export class TurnStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Registers the turn and stores its new messages plus the assistant draft, or returns the turn that
   * already holds this request id / idempotency key. NOT_FOUND when the conversation is not the
   * caller's (or was deleted).
   */
  async begin(input: BeginTurnInput): Promise<BeginOutcome> {
    const existing = await this.findExisting(input.tenantId, input.requestId, input.idempotencyKey);
    if (existing) return { duplicate: existing };
    try {
      return {
        begun: await this.prisma.$transaction(async (tx) => {
          const turnId = randomUUID();
          const createdAt = new Date();
          if (input.conversationId) {
            // Tenant and owner are checked here; appendMessage's counter UPDATE then locks the row.
            const owned = await tx.conversation.count({
              where: {
                id: input.conversationId,
                tenantId: input.tenantId,
                userId: input.userId,
                deletedAt: null,
              },
            });
            if (owned === 0) throw notFound(`conversation ${input.conversationId} not found`);
          }
          await tx.turnTrace.create({
            data: {
              id: turnId,
              requestId: input.requestId,
              idempotencyKey: input.idempotencyKey ?? null,
              tenantId: input.tenantId,
              conversationId: input.conversationId ?? null,
              traceId: input.traceId ?? null,
              model: input.model,
              params: input.params,
              createdAt,
            },
          });
          if (!input.conversationId) return { turnId, createdAt, inputMessages: [] };
          const inputMessages: StoredTurnMessage[] = [];
          for (const message of input.messages) {
            const row = await appendMessage(tx, {
              conversationId: input.conversationId,
              role: dbRoleOf(message.role),
              content: contentJson(message),
              requestId: input.requestId,
            });
            inputMessages.push({ id: row.id, seq: row.seq, message, createdAt: row.createdAt });
          }
          const draft: Message = await appendMessage(tx, {
            conversationId: input.conversationId,
            role: 'assistant',
            content: { content: '' },
            status: 'streaming',
            requestId: input.requestId,
            model: input.model,
          });
          await tx.turnTrace.update({ where: { id: turnId }, data: { messageId: draft.id } });
          return { turnId, createdAt, inputMessages, assistantMessageId: draft.id, assistantSeq: draft.seq };
        }),
      };
    } catch (error) {
      // Lost a race with a concurrent duplicate: the winner's row is there now.
      if (isUniqueViolation(error)) {
        const winner = await this.findExisting(input.tenantId, input.requestId, input.idempotencyKey);
        if (winner) return { duplicate: winner };
      }
      throw error;
    }
  }

  /** Records the end of a turn: final message, trace and audit events commit together. */
  async finish(input: FinishTurnInput): Promise<void> {
    const finishedAt = new Date();
    await this.prisma.$transaction(async (tx) => {
      if (input.assistantMessageId && input.message) {
        await tx.message.update({
          where: { id: input.assistantMessageId },
          data: {
            content: input.message.content,
            status: input.message.status,
            finishReason: input.message.finishReason,
            tokenCount: input.message.tokenCount,
            model: input.message.model,
          },
        });
      }
      await tx.turnTrace.update({
        where: { id: input.turnId },
        data: {
          finishReason: input.trace.finishReason,
          error: input.trace.error,
          finishedAt,
          model: input.trace.model,
          modelVersion: input.trace.modelVersion ?? null,
          promptInput: input.trace.promptInput,
          inputTokens: input.trace.inputTokens,
          cachedTokens: input.trace.cachedTokens,
          outputTokens: input.trace.outputTokens,
          safetyDecisions: input.trace.safetyDecisions,
          toolRounds: input.trace.toolRounds,
          latency: input.trace.latency,
          params: input.trace.params,
        },
      });
      for (const event of input.audit) {
        await enqueue(tx, AUDIT_TOPIC, {
          payload: event,
          id: randomUUID(),
          occurredAt: finishedAt.toISOString(),
          type: 'llm.audit',
          version: 1,
          tenantId: input.tenantId,
        });
      }
    });
  }

  /** Rewrites a finished turn's latency breakdown once finalization itself was timed. */
  async updateLatency(turnId: string, latency: Prisma.InputJsonObject): Promise<void> {
    await this.prisma.turnTrace.update({ where: { id: turnId }, data: { latency } });
  }

  /** A turn's trace row, scoped to the tenant. */
  findTrace(tenantId: string, by: { turnId?: string; requestId?: string }): Promise<TurnTrace | null> {
    if (by.turnId) return this.prisma.turnTrace.findFirst({ where: { id: by.turnId, tenantId } });
    return this.prisma.turnTrace.findFirst({ where: { requestId: by.requestId, tenantId } });
  }

  /** The messages a finished turn wrote (for replays): the answer and the new inputs. */
  async turnMessages(turn: TurnTrace): Promise<{ inputIds: string[]; answer: Message | null }> {
    if (!turn.conversationId) return { inputIds: [], answer: null };
    const rows = await this.prisma.message.findMany({
      where: { conversationId: turn.conversationId, requestId: turn.requestId },
      orderBy: { seq: 'asc' },
    });
    const answer = rows.find((row) => row.answerForRequestId === turn.requestId) ?? null;
    return { inputIds: rows.filter((row) => row !== answer).map((row) => row.id), answer };
  }

  private async findExisting(
    tenantId: string,
    requestId: string,
    idempotencyKey: string | undefined,
  ): Promise<TurnTrace | null> {
    const or: Prisma.TurnTraceWhereInput[] = [{ requestId }];
    if (idempotencyKey) or.push({ tenantId, idempotencyKey });
    const found = await this.prisma.turnTrace.findFirst({ where: { OR: or } });
    // A request id another tenant used is not a replay for this one: treat it as a new conflict.
    if (found && found.tenantId !== tenantId) throw alreadyExists('request_id is already in use');
    return found;
  }
}
