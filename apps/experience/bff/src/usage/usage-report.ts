// Owns the admin CLI's usage report: the ledger's sums of one tenant over a time range, per bucket and
// group, as CSV (RFC 4180: a header row, CRLF, fields quoted when they need it). The same aggregate
// as the usage API, over the whole range at once; only non-empty groups are rows.
import { BUCKET_WIDTHS, type BucketWidth, type GroupByField } from './usage.schemas';
import type { Operation, UsageService } from './usage.service';

export interface UsageReportOptions {
  tenantId: string;
  /** Unix seconds, inclusive / exclusive. */
  start: number;
  end: number;
  bucketWidth: BucketWidth;
  groupBy: GroupByField[];
  /** One operation, or both. */
  operation?: Operation;
}

export const USAGE_REPORT_COLUMNS = [
  'bucket_start',
  'bucket_end',
  'model',
  'api_key_id',
  'user_id',
  'requests',
  'input_tokens',
  'input_cached_tokens',
  'output_tokens',
  'cost_micros',
  'currency',
] as const;

export async function usageReportCsv(usage: UsageService, options: UsageReportOptions): Promise<string> {
  if (!(options.end > options.start)) throw new Error('--end must be after --start');
  const width = BUCKET_WIDTHS[options.bucketWidth];
  const window = {
    width,
    start: options.start,
    end: options.end,
    pageStart: options.start,
    pageEnd: options.end,
  };
  const rows = await usage.aggregate(options.tenantId, window, options.groupBy, options.operation);
  const lines = [USAGE_REPORT_COLUMNS.join(',')];
  for (const row of rows) {
    const start = options.start + row.bucket * width;
    lines.push(
      [
        new Date(start * 1000).toISOString(),
        new Date(Math.min(start + width, options.end) * 1000).toISOString(),
        row.model ?? '',
        row.api_key_id ?? '',
        row.user_id ?? '',
        row.requests,
        row.input_tokens,
        row.cached_tokens,
        row.output_tokens,
        row.cost_micros,
        row.currency,
      ]
        .map((field) => csvField(String(field)))
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A CLI time: unix seconds or an ISO 8601 instant. */
export function parseInstant(value: string, flag: string): number {
  const seconds = /^\d+$/.test(value) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(seconds))
    throw new Error(`${flag} must be unix seconds or an ISO 8601 time, got ${value}`);
  return Math.floor(seconds);
}
