// Owns reading the usage ledger for a tenant's administrators: one aggregate query per page over
// usage_events (filled by the ledger from llm.usage.v1), always filtered by the caller's tenant, so
// another tenant's usage is never in the result: its buckets come back empty, never with data.
import { Prisma, type PrismaClient } from '@hearth/db';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { bucketStarts, encodePage, pageWindow } from './usage-buckets';
import type { GroupByField, UsagePage, UsageQuery, UsageResult } from './usage.schemas';

interface AggregateRow {
  bucket: number;
  model: string | null;
  api_key_id: string | null;
  user_id: string | null;
  input_tokens: bigint;
  output_tokens: bigint;
  cached_tokens: bigint;
  requests: bigint;
}

/** group_by names to columns: a fixed map, so no request text ever becomes SQL. */
const GROUP_COLUMNS: Record<GroupByField, Prisma.Sql> = {
  model: Prisma.raw('model'),
  api_key_id: Prisma.raw('api_key_id::text'),
  user_id: Prisma.raw('user_id::text'),
};

export class UsageService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async completions(caller: AuthenticatedCaller, query: UsageQuery): Promise<UsagePage> {
    const window = pageWindow(query, this.now());
    const grouped = (field: GroupByField) =>
      query.group_by.includes(field) ? Prisma.sql`${GROUP_COLUMNS[field]}` : Prisma.sql`NULL::text`;
    const bucket = Prisma.sql`floor((extract(epoch FROM occurred_at) - ${window.start}::bigint) / ${window.width}::bigint)::int`;
    const rows = await this.prisma.$queryRaw<AggregateRow[]>`
      SELECT ${bucket} AS bucket,
             ${grouped('model')} AS model,
             ${grouped('api_key_id')} AS api_key_id,
             ${grouped('user_id')} AS user_id,
             sum(input_tokens)::bigint AS input_tokens,
             sum(output_tokens)::bigint AS output_tokens,
             sum(cached_tokens)::bigint AS cached_tokens,
             count(*)::bigint AS requests
      FROM usage_events
      WHERE tenant_id = ${caller.tenantId}::uuid
        AND occurred_at >= to_timestamp(${window.pageStart}::double precision)
        AND occurred_at < to_timestamp(${window.pageEnd}::double precision)
      GROUP BY 1, 2, 3, 4
      ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST, 4 NULLS FIRST`;

    const byBucket = new Map<number, UsageResult[]>();
    for (const row of rows) {
      const start = window.start + row.bucket * window.width;
      const results = byBucket.get(start) ?? [];
      results.push({
        object: 'organization.usage.completions.result',
        input_tokens: Number(row.input_tokens),
        output_tokens: Number(row.output_tokens),
        input_cached_tokens: Number(row.cached_tokens),
        input_audio_tokens: 0,
        output_audio_tokens: 0,
        num_model_requests: Number(row.requests),
        project_id: null,
        user_id: row.user_id,
        api_key_id: row.api_key_id,
        model: row.model,
        batch: null,
      });
      byBucket.set(start, results);
    }
    return {
      object: 'page',
      data: bucketStarts(window).map((start) => ({
        object: 'bucket',
        start_time: start,
        end_time: Math.min(start + window.width, window.end),
        results: byBucket.get(start) ?? [],
      })),
      has_more: window.nextPageStart !== undefined,
      next_page: window.nextPageStart === undefined ? null : encodePage(window.nextPageStart),
    };
  }
}
