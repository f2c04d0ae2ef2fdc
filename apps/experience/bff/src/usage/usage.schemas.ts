// The query of GET /v1/organization/usage/completions, shaped like OpenAI's organization usage API:
// unix-second bounds, a bucket width, optional grouping, and a page size whose default and ceiling
// depend on the width (7/31 daily buckets, 24/168 hourly, 60/1440 per minute).
import { z } from 'zod';

export const BUCKET_WIDTHS = { '1m': 60, '1h': 3_600, '1d': 86_400 } as const;
export type BucketWidth = keyof typeof BUCKET_WIDTHS;

export const BUCKET_LIMITS: Record<BucketWidth, { default: number; max: number }> = {
  '1m': { default: 60, max: 1_440 },
  '1h': { default: 24, max: 168 },
  '1d': { default: 7, max: 31 },
};

export const GROUP_BY_FIELDS = ['model', 'api_key_id', 'user_id'] as const;
export type GroupByField = (typeof GROUP_BY_FIELDS)[number];

/** 9999-12-31T23:59:59Z, the last second start_time and end_time may name. */
export const MAX_UNIX_SECONDS = 253_402_300_799;
const unixSeconds = z.coerce.number().int().min(0).max(MAX_UNIX_SECONDS);

/** `group_by=model&group_by=user_id`, `group_by[]=model` or `group_by=model,user_id`: one list. */
function groupByList(value: unknown): unknown {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((entry) => (typeof entry === 'string' ? entry.split(',').filter(Boolean) : [entry]));
}

export const usageQuerySchema = z
  .preprocess(
    (query) => {
      if (typeof query !== 'object' || query === null) return query;
      const { 'group_by[]': bracketed, group_by: plain, ...rest } = query as Record<string, unknown>;
      const grouped = [...(groupByList(plain) as unknown[]), ...(groupByList(bracketed) as unknown[])];
      return { ...rest, group_by: grouped };
    },
    z.strictObject({
      start_time: unixSeconds,
      end_time: unixSeconds.optional(),
      bucket_width: z.enum(['1m', '1h', '1d']).default('1d'),
      group_by: z.array(z.enum(GROUP_BY_FIELDS)).transform((fields) => [...new Set(fields)]),
      limit: z.coerce.number().int().min(1).optional(),
      page: z.string().min(1).max(200).optional(),
    }),
  )
  .superRefine((query, ctx) => {
    if (query.end_time !== undefined && query.end_time <= query.start_time) {
      ctx.addIssue({ code: 'custom', path: ['end_time'], message: 'must be after start_time' });
    }
    const { max } = BUCKET_LIMITS[query.bucket_width];
    if (query.limit !== undefined && query.limit > max) {
      ctx.addIssue({
        code: 'custom',
        path: ['limit'],
        message: `at most ${max} buckets per page with bucket_width=${query.bucket_width}`,
      });
    }
  });

export type UsageQuery = z.output<typeof usageQuerySchema>;

/** One group of one bucket (OpenAI's `organization.usage.completions.result`). */
export const usageResultSchema = z.object({
  object: z.literal('organization.usage.completions.result'),
  /** Prompt tokens, cached ones included. */
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  input_cached_tokens: z.number().int(),
  input_audio_tokens: z.number().int(),
  output_audio_tokens: z.number().int(),
  num_model_requests: z.number().int(),
  project_id: z.null(),
  user_id: z.string().nullable(),
  api_key_id: z.string().nullable(),
  model: z.string().nullable(),
  batch: z.null(),
});

export const usagePageSchema = z.object({
  object: z.literal('page'),
  data: z.array(
    z.object({
      object: z.literal('bucket'),
      start_time: z.number().int(),
      end_time: z.number().int(),
      results: z.array(usageResultSchema),
    }),
  ),
  has_more: z.boolean(),
  next_page: z.string().nullable(),
});

export type UsageResult = z.infer<typeof usageResultSchema>;
export type UsagePage = z.infer<typeof usagePageSchema>;
