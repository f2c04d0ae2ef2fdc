// Owns the tool_calls rows and their state changes. Every change commits together with its audit
// event in the outbox (one transaction), so an audited call always exists and a stored call is
// always audited, even while Kafka is down. The unique idempotency key is the claim: whoever inserts
// it runs the tool; everyone else reads the stored row. Confirmation transitions are conditional
// updates, so an approval runs a call at most once.
import {
  isUniqueViolation,
  jsonbSafe,
  PrismaClient,
  type Prisma,
  type ToolCall,
  type ToolCallStatus,
} from '@hearth/db';
import { AUDIT_TOPIC } from '@hearth/events';
import { enqueue } from '@hearth/transactional-events';

import { Inject, Injectable } from '@nestjs/common';

import { buildToolAuditEvent, type ToolAuditFacts } from '../audit/tool-audit.builder';

export interface NewToolCall {
  idempotencyKey: string;
  tenantId: string;
  userId: string;
  conversationId: string;
  requestId: string;
  callId: string;
  name: string;
  arguments: unknown;
  status: ToolCallStatus;
  error?: string;
  expiresAt?: Date;
}

export type Audit = Omit<ToolAuditFacts, 'resourceId'>;

@Injectable()
export class ToolCallRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** Inserts the call, or returns the existing row with the same key (`claimed: false`). */
  async claim(call: NewToolCall, audit: Audit): Promise<{ claimed: boolean; row: ToolCall }> {
    try {
      const row = await this.prisma.$transaction(async (tx) => {
        const created = await tx.toolCall.create({
          data: {
            idempotencyKey: call.idempotencyKey,
            tenantId: call.tenantId,
            userId: call.userId || null,
            conversationId: call.conversationId || null,
            requestId: call.requestId || null,
            callId: call.callId || null,
            name: call.name,
            // Arguments (the model's) and results (a tool's) may hold what jsonb and text cannot.
            arguments: jsonbSafe(call.arguments) as Prisma.InputJsonValue,
            status: call.status,
            error: call.error === undefined ? null : jsonbSafe(call.error),
            expiresAt: call.expiresAt ?? null,
            attempts: 0,
          },
        });
        await enqueue(tx, AUDIT_TOPIC, buildToolAuditEvent({ ...audit, resourceId: created.id }));
        return created;
      });
      return { claimed: true, row };
    } catch (error) {
      if (!isUniqueViolation(error, ['idempotency_key'])) throw error;
      const existing = await this.prisma.toolCall.findUnique({
        where: { idempotencyKey: call.idempotencyKey },
      });
      if (!existing) throw error;
      return { claimed: false, row: existing };
    }
  }

  /** Records an outcome of a running call. */
  async finish(
    id: string,
    outcome: { status: 'succeeded' | 'failed'; result?: unknown; error?: string; attempts: number },
    audit: Audit,
  ): Promise<ToolCall> {
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.toolCall.update({
        where: { id },
        data: {
          status: outcome.status,
          result:
            outcome.result === undefined ? undefined : (jsonbSafe(outcome.result) as Prisma.InputJsonValue),
          error: outcome.error === undefined ? null : jsonbSafe(outcome.error),
          attempts: outcome.attempts,
        },
      });
      await enqueue(tx, AUDIT_TOPIC, buildToolAuditEvent({ ...audit, resourceId: id }));
      return row;
    });
  }

  /**
   * Moves a pending, unexpired call to `to`; returns null when it was no longer pending (answered
   * concurrently) or had expired.
   */
  async decide(
    id: string,
    to: 'running' | 'rejected',
    error: string | undefined,
    audit: Audit,
    now = new Date(),
  ): Promise<ToolCall | null> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.toolCall.updateMany({
        where: { id, status: 'pending_confirmation', expiresAt: { gt: now } },
        data: { status: to, decidedAt: now, error: error ?? null },
      });
      if (count === 0) return null;
      await enqueue(tx, AUDIT_TOPIC, buildToolAuditEvent({ ...audit, resourceId: id }));
      return tx.toolCall.findUniqueOrThrow({ where: { id } });
    });
  }

  /** Marks a pending call whose time ran out as expired (once); returns the current row. */
  async expire(id: string, audit: Audit, now = new Date()): Promise<ToolCall> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.toolCall.updateMany({
        where: { id, status: 'pending_confirmation', expiresAt: { lte: now } },
        data: { status: 'expired', decidedAt: now },
      });
      if (count > 0) await enqueue(tx, AUDIT_TOPIC, buildToolAuditEvent({ ...audit, resourceId: id }));
      return tx.toolCall.findUniqueOrThrow({ where: { id } });
    });
  }

  /**
   * Fails a call still `running` although its last change is older than `staleBefore` (its runner
   * stopped mid-call), once; returns the current row.
   */
  async interrupt(id: string, staleBefore: Date, error: string, audit: Audit): Promise<ToolCall> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.toolCall.updateMany({
        where: { id, status: 'running', updatedAt: { lt: staleBefore } },
        data: { status: 'failed', error },
      });
      if (count > 0) await enqueue(tx, AUDIT_TOPIC, buildToolAuditEvent({ ...audit, resourceId: id }));
      return tx.toolCall.findUniqueOrThrow({ where: { id } });
    });
  }

  /** Audits a refused call, which has no row. */
  async auditOnly(audit: Audit, resourceId: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await enqueue(tx, AUDIT_TOPIC, buildToolAuditEvent({ ...audit, resourceId }));
    });
  }

  /** The latest call with this model call id in the tenant. */
  findByCallId(tenantId: string, callId: string): Promise<ToolCall | null> {
    return this.prisma.toolCall.findFirst({
      where: { tenantId, callId },
      orderBy: { createdAt: 'desc' },
    });
  }
}
