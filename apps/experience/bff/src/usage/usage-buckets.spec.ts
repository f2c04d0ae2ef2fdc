import { ApiError } from '../errors/api.error';
import { bucketStarts, decodePage, encodePage, pageWindow } from './usage-buckets';
import { usageQuerySchema, type UsageQuery } from './usage.schemas';

const DAY = 86_400;
const START = 1_764_547_200; // 2025-12-01T00:00:00Z

const query = (raw: Record<string, unknown>): UsageQuery => usageQuerySchema.parse(raw);

describe(pageWindow.name, () => {
  it('pages daily buckets from start_time, 7 by default, with a cursor to the next page', () => {
    const sut = pageWindow(query({ start_time: String(START), end_time: String(START + 10 * DAY) }), 0);
    expect(bucketStarts(sut)).toEqual([0, 1, 2, 3, 4, 5, 6].map((d) => START + d * DAY));
    expect(sut.nextPageStart).toBe(START + 7 * DAY);

    const next = pageWindow(
      query({ start_time: START, end_time: START + 10 * DAY, page: encodePage(START + 7 * DAY) }),
      0,
    );
    expect(bucketStarts(next)).toEqual([7, 8, 9].map((d) => START + d * DAY));
    expect(next.nextPageStart).toBeUndefined();
  });

  it('ends the last bucket at end_time and defaults end_time to now', () => {
    const sut = pageWindow(query({ start_time: START, bucket_width: '1h' }), START + 90 * 60);
    expect(bucketStarts(sut)).toEqual([START, START + 3_600]);
    expect(sut.pageEnd).toBe(START + 90 * 60);
  });

  it.each([
    ['a cursor of another encoding', 'abc'],
    ['a cursor before start_time', encodePage(START - DAY)],
    ['a cursor at end_time', encodePage(START + 3 * DAY)],
    ['a cursor off the bucket grid', encodePage(START + 60)],
  ])('refuses %s with a 400 naming page', (_, page) => {
    const attempt = () => pageWindow(query({ start_time: START, end_time: START + 3 * DAY, page }), 0);
    expect(attempt).toThrow(ApiError);
    expect(attempt).toThrow(/'page'/);
  });

  it('round-trips a cursor and rejects a forged one', () => {
    expect(decodePage(encodePage(START))).toBe(START);
    expect(decodePage(`page_${Buffer.from('usage:-1').toString('base64url')}`)).toBeUndefined();
  });
});

describe('usageQuerySchema', () => {
  it('accepts group_by repeated, bracketed or comma-separated, once each', () => {
    expect(query({ start_time: START, group_by: ['model', 'user_id'] }).group_by).toEqual([
      'model',
      'user_id',
    ]);
    expect(query({ start_time: START, 'group_by[]': 'api_key_id' }).group_by).toEqual(['api_key_id']);
    expect(query({ start_time: START, group_by: 'model,model' }).group_by).toEqual(['model']);
    expect(query({ start_time: START }).group_by).toEqual([]);
  });

  it.each([
    ['no start_time', {}, /start_time/],
    ['end_time not after start_time', { start_time: START, end_time: START }, /end_time/],
    ['an unknown bucket width', { start_time: START, bucket_width: '1w' }, /bucket_width/],
    [
      'a grouping OpenAI has but the ledger has not',
      { start_time: START, group_by: 'project_id' },
      /group_by/,
    ],
    ['more daily buckets than a page holds', { start_time: START, limit: 32 }, /limit/],
    ['an unknown parameter', { start_time: START, models: 'x' }, /models/],
  ])('refuses %s', (_, raw, field) => {
    const result = usageQuerySchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(field);
  });

  it('allows up to 1440 minute buckets per page', () => {
    expect(query({ start_time: START, bucket_width: '1m', limit: '1440' }).limit).toBe(1_440);
  });
});
