// Owns the ledger's writes: one usage row or audit row per event, inserted with ON CONFLICT DO
// NOTHING (createMany skipDuplicates) through the consumer's transaction, so the dedupe record and
// the row commit together. A usage event whose request id is already charged under another event id
// (a producer that gave up and published again) is skipped too: (tenant_id, request_id) is unique in
// usage_events. Request ids are per tenant: another tenant's request with the same id is its own charge.
// A failed write throws a LedgerWriteError that says whether the event or the database is at fault.
import type { Prisma } from '@hearth/db';
import type { AuditEvent, UsageEvent } from '@hearth/events';

import { Injectable } from '@nestjs/common';

import { toAuditRow, toUsageRow } from './ledger-row.mapper';
import { LedgerWriteError } from './ledger-write.error';

export type WriteResult = 'inserted' | 'skipped';

@Injectable()
export class LedgerWriter {
  async writeUsage(tx: Prisma.TransactionClient, event: UsageEvent): Promise<WriteResult> {
    const { count } = await tx.usageEvent
      .createMany({ data: [toUsageRow(event)], skipDuplicates: true })
      .catch((error: unknown) => Promise.reject(LedgerWriteError.from(error)));
    return count === 1 ? 'inserted' : 'skipped';
  }

  async writeAudit(tx: Prisma.TransactionClient, event: AuditEvent): Promise<WriteResult> {
    const { count } = await tx.auditLog
      .createMany({ data: [toAuditRow(event)], skipDuplicates: true })
      .catch((error: unknown) => Promise.reject(LedgerWriteError.from(error)));
    return count === 1 ? 'inserted' : 'skipped';
  }
}
