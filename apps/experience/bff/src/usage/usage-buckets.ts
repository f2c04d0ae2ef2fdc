// Owns the time arithmetic of usage pages: buckets start at start_time and are bucket_width long (the
// last one ends at end_time); a page holds `limit` consecutive buckets, and the opaque next_page
// cursor names the first bucket of the following page. Pure, so its edge cases have unit specs.
import { ApiError } from '../errors/api.error';
import { BUCKET_LIMITS, BUCKET_WIDTHS, type UsageQuery } from './usage.schemas';

export interface UsagePageWindow {
  /** Width of one bucket, seconds. */
  width: number;
  /** Start of the whole query and of its first bucket, unix seconds. */
  start: number;
  /** End of the whole query (exclusive), unix seconds. */
  end: number;
  /** This page's first bucket start and end (exclusive) of its last bucket. */
  pageStart: number;
  pageEnd: number;
  /** Start of the next page's first bucket, when there is one. */
  nextPageStart?: number;
}

const CURSOR_PREFIX = 'page_';

export function encodePage(bucketStart: number): string {
  return CURSOR_PREFIX + Buffer.from(`usage:${bucketStart}`).toString('base64url');
}

export function decodePage(page: string): number | undefined {
  if (!page.startsWith(CURSOR_PREFIX)) return undefined;
  const match = /^usage:(\d+)$/.exec(Buffer.from(page.slice(CURSOR_PREFIX.length), 'base64url').toString());
  return match ? Number(match[1]) : undefined;
}

export function pageWindow(
  query: Pick<UsageQuery, 'start_time' | 'end_time' | 'bucket_width' | 'limit' | 'page'>,
  nowSeconds: number,
): UsagePageWindow {
  const width = BUCKET_WIDTHS[query.bucket_width];
  const start = query.start_time;
  const end = query.end_time ?? Math.max(nowSeconds, start + 1);
  const limit = query.limit ?? BUCKET_LIMITS[query.bucket_width].default;
  let pageStart = start;
  if (query.page !== undefined) {
    const decoded = decodePage(query.page);
    // A cursor only makes sense for the same query: on its bucket grid and inside its range.
    if (decoded === undefined || decoded < start || decoded >= end || (decoded - start) % width !== 0) {
      throw ApiError.badRequest(
        `Invalid value for 'page': not a page of this query.`,
        'page',
        'invalid_value',
      );
    }
    pageStart = decoded;
  }
  const pageEnd = Math.min(end, pageStart + limit * width);
  return { width, start, end, pageStart, pageEnd, ...(pageEnd < end && { nextPageStart: pageEnd }) };
}

/** Bucket starts of the page, in order (empty buckets are returned too, as OpenAI does). */
export function bucketStarts(window: UsagePageWindow): number[] {
  const starts: number[] = [];
  for (let at = window.pageStart; at < window.pageEnd; at += window.width) starts.push(at);
  return starts;
}
