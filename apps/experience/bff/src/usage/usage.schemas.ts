// The queries of GET /v1/organization/usage/{completions,embeddings} and /v1/organization/costs,
// shaped like OpenAI's organization usage and costs APIs: unix-second bounds, a bucket width, optional
// grouping, and a page size whose default and ceiling depend on the width (7/31 daily buckets, 24/168
// hourly, 60/1440 per minute; costs: daily only, 7/180).
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

function withGroupByList(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  const { 'group_by[]': bracketed, group_by: plain, ...rest } = query as Record<string, unknown>;
  const grouped = [...(groupByList(plain) as unknown[]), ...(groupByList(bracketed) as unknown[])];
  return { ...rest, group_by: grouped };
}

export const usageQuerySchema = z
  .preprocess(
    withGroupByList,
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

/** A page of time buckets, each with its groups (OpenAI's organization usage and costs pages). */
const pageOf = <T extends z.ZodType>(result: T) =>
  z.object({
    object: z.literal('page'),
    data: z.array(
      z.object({
        object: z.literal('bucket'),
        start_time: z.number().int(),
        end_time: z.number().int(),
        results: z.array(result),
      }),
    ),
    has_more: z.boolean(),
    next_page: z.string().nullable(),
  });

export const usagePageSchema = pageOf(usageResultSchema);

export type UsageResult = z.infer<typeof usageResultSchema>;
export type UsagePage = z.infer<typeof usagePageSchema>;

/** One group of one bucket (OpenAI's `organization.usage.embeddings.result`). */
export const embeddingsUsageResultSchema = z.object({
  object: z.literal('organization.usage.embeddings.result'),
  input_tokens: z.number().int(),
  num_model_requests: z.number().int(),
  project_id: z.null(),
  user_id: z.string().nullable(),
  api_key_id: z.string().nullable(),
  model: z.string().nullable(),
});

export type EmbeddingsUsageResult = z.infer<typeof embeddingsUsageResultSchema>;

export const COST_GROUP_BY_FIELDS = ['line_item', 'api_key_id', 'project_id'] as const;
export type CostGroupByField = (typeof COST_GROUP_BY_FIELDS)[number];
export const COST_LIMITS = { default: 7, max: 180 } as const;

/** GET /v1/organization/costs: daily buckets only; a line item is a model. */
export const costsQuerySchema = z.preprocess(
  withGroupByList,
  z
    .strictObject({
      start_time: unixSeconds,
      end_time: unixSeconds.optional(),
      bucket_width: z.literal('1d').default('1d'),
      group_by: z.array(z.enum(COST_GROUP_BY_FIELDS)).transform((fields) => [...new Set(fields)]),
      limit: z.coerce.number().int().min(1).max(COST_LIMITS.max).default(COST_LIMITS.default),
      page: z.string().min(1).max(200).optional(),
    })
    .refine((query) => query.end_time === undefined || query.end_time > query.start_time, {
      path: ['end_time'],
      message: 'must be after start_time',
    }),
);

export type CostsQuery = z.output<typeof costsQuerySchema>;

/** One group of one day (OpenAI's `organization.costs.result`). */
export const costsResultSchema = z.object({
  object: z.literal('organization.costs.result'),
  amount: z.object({ value: z.number(), currency: z.string() }),
  line_item: z.string().nullable(),
  project_id: z.null(),
  api_key_id: z.string().nullable(),
  /** Extension: the same amount in integer millionths of the currency unit (exact). */
  amount_micros: z.number().int(),
});

export type CostsResult = z.infer<typeof costsResultSchema>;

export interface BucketPage<T> {
  object: 'page';
  data: Array<{ object: 'bucket'; start_time: number; end_time: number; results: T[] }>;
  has_more: boolean;
  next_page: string | null;
}

export const embeddingsUsagePageSchema = pageOf(embeddingsUsageResultSchema);
export const costsPageSchema = pageOf(costsResultSchema);
