// Owns reading the audit trail (audit_log, written by the ledger from llm.audit.v1) for a tenant's
// administrators: always filtered by the caller's tenant, newest first. Read only: no route, here or
// anywhere in the API, writes, edits or deletes an entry; the ledger is its only writer.
import type { AuditLog, Prisma, PrismaClient } from '@hearth/db';

import { ApiError } from '../errors/api.error';
import { toUnixSeconds } from '../http/timestamps';
import type { AuditEntry, AuditPage, AuditQuery } from './audit.schemas';

export class AuditService {
  constructor(private readonly prisma: PrismaClient) {}

  async list(tenantId: string, query: AuditQuery): Promise<AuditPage> {
    const where: Prisma.AuditLogWhereInput = {
      tenantId,
      ...(query.actor !== undefined && { actor: query.actor }),
      ...(query.action !== undefined && { action: query.action }),
      occurredAt: {
        ...(query.start_time !== undefined && { gte: new Date(query.start_time * 1000) }),
        ...(query.end_time !== undefined && { lt: new Date(query.end_time * 1000) }),
      },
    };
    if (query.after !== undefined) {
      const cursor = await this.prisma.auditLog.findFirst({ where: { id: query.after, tenantId } });
      if (!cursor)
        throw ApiError.badRequest(
          `Invalid value for 'after': not an entry of this list.`,
          'after',
          'invalid_value',
        );
      where.OR = [
        { occurredAt: { lt: cursor.occurredAt } },
        { occurredAt: cursor.occurredAt, id: { lt: cursor.id } },
      ];
    }
    const rows = await this.prisma.auditLog.findMany({
      where,
      orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    const data = rows.slice(0, query.limit).map(toEntry);
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: rows.length > query.limit,
    };
  }
}

function toEntry(row: AuditLog): AuditEntry {
  return {
    object: 'organization.audit_log',
    id: row.id,
    effective_at: toUnixSeconds(row.occurredAt),
    actor: row.actor,
    action: row.action,
    decision: row.decision,
    rule_ids: row.ruleIds,
    resource: { type: row.resourceType, id: row.resourceId },
    request_id: row.requestId,
    trace_id: row.traceId,
    metadata: row.metadata,
  };
}
