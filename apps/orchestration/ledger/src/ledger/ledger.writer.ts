// Owns the ledger's writes: one usage row or audit row per event, inserted with ON CONFLICT DO
// NOTHING (createMany skipDuplicates) through the consumer's transaction, so the dedupe record and
// the row commit together. A batch's rows go in one statement; an event applied alone, in its own.
// A usage event whose request id is already charged under another event id (a producer that gave
// up and published again) is skipped too: (tenant_id, request_id) is unique in usage_events.
// Request ids are per tenant: another tenant's request with the same id is its own charge.
// A failed write throws a LedgerWriteError that says whether the event or the database is at fault.
import type { Prisma } from '@hearth/db';
import type { AuditEvent, UsageEvent } from '@hearth/events';

import { Injectable } from '@nestjs/common';

import { toAuditRow, toUsageRow } from './ledger-row.mapper';
import { LedgerWriteError } from './ledger-write.error';

@Injectable()
export class LedgerWriter {
  /** The usage events whose rows were inserted (the others were charged already). */
  async writeUsage(tx: Prisma.TransactionClient, events: readonly UsageEvent[]): Promise<UsageEvent[]> {
    const inserted = await tx.usageEvent
      .createManyAndReturn({ data: events.map(toUsageRow), skipDuplicates: true, select: { id: true } })
      .catch((error: unknown) => Promise.reject(LedgerWriteError.from(error)));
    const ids = new Set(inserted.map((row) => row.id));
    return events.filter((event) => ids.has(event.id));
  }

  async writeAudit(tx: Prisma.TransactionClient, events: readonly AuditEvent[]): Promise<void> {
    await tx.auditLog
      .createMany({ data: events.map(toAuditRow), skipDuplicates: true })
      .catch((error: unknown) => Promise.reject(LedgerWriteError.from(error)));
  }
}
