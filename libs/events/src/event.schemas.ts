// Owns the wire shape of every event: a common envelope plus one payload schema per event type.
// Producers and consumers validate against these same schemas, so a drift fails loudly at the edge.
// Unknown keys are stripped, not sent: a v1 consumer tolerates fields a newer producer adds.
import { z } from 'zod';

const traceIdSchema = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters (a W3C trace id)');

/** Fields every event carries; `id` is what consumers deduplicate on, `tenantId` is the Kafka key. */
export const envelopeFields = {
  id: z.uuid(),
  occurredAt: z.iso.datetime({ offset: true }),
  tenantId: z.uuid(),
  traceId: traceIdSchema.optional(),
};

const count = z.number().int().nonnegative();

export const usagePayloadSchema = z.object({
  /** The chat turn's request id: charges are deduplicated on it downstream. */
  requestId: z.string().min(1).max(200),
  apiKeyId: z.uuid(),
  userId: z.uuid().optional(),
  model: z.string().min(1).max(200),
  inputTokens: count,
  cachedTokens: count,
  outputTokens: count,
  /** Price in millionths of the billing currency unit: integers, so sums never drift. */
  costMicros: count,
  /**
   * ISO 4217 code of costMicros (added compatibly: an event without it was priced in USD, the only
   * currency before price periods had one).
   */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
    .optional(),
  latencyMs: count,
  /** What was metered (added compatibly: an event without it is a completion). */
  operation: z.enum(['completions', 'embeddings']).optional(),
  status: z.enum(['completed', 'failed', 'cancelled', 'cached']),
  /** True when the response came from the exact-match cache (no GPU time spent). */
  cached: z.boolean(),
});

export const usageEventSchema = z.object({
  ...envelopeFields,
  type: z.literal('llm.usage'),
  version: z.literal(1),
  payload: usagePayloadSchema,
});

/** Keys that would carry user or model text; audit metadata holds decisions and ids, never words. */
const RAW_TEXT_KEYS = new Set([
  'content',
  'prompt',
  'completion',
  'text',
  'input',
  'output',
  'messages',
  'body',
]);

const auditMetadataSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'metadata keys are short identifiers'),
    // Short scalars only: room for a category, a count or a hash, not for a pasted message.
    z.union([z.string().max(256), z.number(), z.boolean(), z.null()]),
  )
  .superRefine((metadata, ctx) => {
    for (const key of Object.keys(metadata)) {
      if (RAW_TEXT_KEYS.has(key.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key}" would carry raw text, which audit events never hold`,
        });
      }
    }
  });

export const auditPayloadSchema = z.object({
  actor: z.object({
    type: z.enum(['user', 'api_key', 'service', 'system']),
    id: z.string().min(1).max(200),
  }),
  /** Dotted verb, e.g. `safety.input_check`, `tool.execute`, `conversation.delete`. */
  action: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/,
      'must be a dotted lowercase verb like safety.input_check',
    ),
  decision: z
    .enum(['allowed', 'redacted', 'blocked_input', 'blocked_output', 'confirmed', 'rejected', 'denied'])
    .optional(),
  ruleIds: z.array(z.string().min(1).max(100)).max(100),
  resource: z.object({
    type: z.string().min(1).max(100),
    id: z.string().min(1).max(200),
  }),
  metadata: auditMetadataSchema.default({}),
});

export const auditEventSchema = z.object({
  ...envelopeFields,
  type: z.literal('llm.audit'),
  version: z.literal(1),
  payload: auditPayloadSchema,
});

export type UsageEvent = z.infer<typeof usageEventSchema>;
export type UsageEventInput = z.input<typeof usageEventSchema>;
export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditEventInput = z.input<typeof auditEventSchema>;

/** What producers and the outbox need from any event: an id to dedupe on and a tenant to key by. */
export interface EventEnvelope {
  id: string;
  type: string;
  version: number;
  tenantId: string;
  occurredAt: string;
  traceId?: string;
}
