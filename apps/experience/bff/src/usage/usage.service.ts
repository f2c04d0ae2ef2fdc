// Owns reading the usage ledger for a tenant's administrators: one aggregate query per page over
// usage_events (filled by the ledger from llm.usage.v1), always filtered by the caller's tenant, so
// another tenant's usage is never in the result: its buckets come back empty, never with data.
// Completions and embeddings are the rows of each operation; costs sum the cost every row was
// metered with (integer micro-units, priced once by the gateway) per day.
import { Prisma, type PrismaClient } from '@hearth/db';

import type { AuthenticatedCaller } from '../auth/authenticated-caller';
import { bucketStarts, encodePage, pageWindow, type UsagePageWindow } from './usage-buckets';
import type {
  BucketPage,
  CostsQuery,
  CostsResult,
  EmbeddingsUsageResult,
  GroupByField,
  UsagePage,
  UsageQuery,
} from './usage.schemas';

export interface AggregateRow {
  bucket: number;
  model: string | null;
  api_key_id: string | null;
  user_id: string | null;
  input_tokens: bigint;
  output_tokens: bigint;
  cached_tokens: bigint;
  requests: bigint;
  cost_micros: bigint;
  currency: string;
}

/** group_by names to columns: a fixed map, so no request text ever becomes SQL. */
const GROUP_COLUMNS: Record<GroupByField, Prisma.Sql> = {
  model: Prisma.raw('model'),
  api_key_id: Prisma.raw('api_key_id::text'),
  user_id: Prisma.raw('user_id::text'),
};

export type Operation = 'completions' | 'embeddings';

export class UsageService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async completions(caller: AuthenticatedCaller, query: UsageQuery): Promise<UsagePage> {
    const window = pageWindow(query, this.now());
    const rows = await this.aggregate(caller.tenantId, window, query.group_by, 'completions');
    return page(window, rows, (row) => ({
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
    }));
  }

  async embeddings(
    caller: AuthenticatedCaller,
    query: UsageQuery,
  ): Promise<BucketPage<EmbeddingsUsageResult>> {
    const window = pageWindow(query, this.now());
    const rows = await this.aggregate(caller.tenantId, window, query.group_by, 'embeddings');
    return page(window, rows, (row) => ({
      object: 'organization.usage.embeddings.result',
      input_tokens: Number(row.input_tokens),
      num_model_requests: Number(row.requests),
      project_id: null,
      user_id: row.user_id,
      api_key_id: row.api_key_id,
      model: row.model,
    }));
  }

  async costs(caller: AuthenticatedCaller, query: CostsQuery): Promise<BucketPage<CostsResult>> {
    const window = pageWindow({ ...query, bucket_width: '1d' }, this.now());
    const groupBy: GroupByField[] = [];
    if (query.group_by.includes('line_item')) groupBy.push('model');
    if (query.group_by.includes('api_key_id')) groupBy.push('api_key_id');
    const rows = await this.aggregate(caller.tenantId, window, groupBy);
    return page(window, rows, (row) => ({
      object: 'organization.costs.result',
      amount: { value: Number(row.cost_micros) / 1_000_000, currency: row.currency.toLowerCase() },
      amount_micros: Number(row.cost_micros),
      line_item: row.model,
      project_id: null,
      api_key_id: row.api_key_id,
    }));
  }

  /** Sums per bucket and group of one tenant's rows in the page (of one operation, or all). */
  async aggregate(
    tenantId: string,
    window: UsagePageWindow,
    groupBy: readonly GroupByField[],
    operation?: Operation,
  ): Promise<AggregateRow[]> {
    const grouped = (field: GroupByField) =>
      groupBy.includes(field) ? Prisma.sql`${GROUP_COLUMNS[field]}` : Prisma.sql`NULL::text`;
    const bucket = Prisma.sql`floor((extract(epoch FROM occurred_at) - ${window.start}::bigint) / ${window.width}::bigint)::int`;
    const ofOperation = operation ? Prisma.sql`AND operation = ${operation}` : Prisma.empty;
    return this.prisma.$queryRaw<AggregateRow[]>`
      SELECT ${bucket} AS bucket,
             ${grouped('model')} AS model,
             ${grouped('api_key_id')} AS api_key_id,
             ${grouped('user_id')} AS user_id,
             sum(input_tokens)::bigint AS input_tokens,
             sum(output_tokens)::bigint AS output_tokens,
             sum(cached_tokens)::bigint AS cached_tokens,
             count(*)::bigint AS requests,
             sum(cost_micros)::bigint AS cost_micros,
             min(currency) AS currency
      FROM usage_events
      WHERE tenant_id = ${tenantId}::uuid
        ${ofOperation}
        AND occurred_at >= to_timestamp(${window.pageStart}::double precision)
        AND occurred_at < to_timestamp(${window.pageEnd}::double precision)
      GROUP BY 1, 2, 3, 4
      ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST, 4 NULLS FIRST`;
  }
}

function page<T>(
  window: UsagePageWindow,
  rows: AggregateRow[],
  toResult: (row: AggregateRow) => T,
): BucketPage<T> {
  const byBucket = new Map<number, T[]>();
  for (const row of rows) {
    const start = window.start + row.bucket * window.width;
    const results = byBucket.get(start) ?? [];
    results.push(toResult(row));
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
