// The query and entries of GET /v1/organization/audit_logs (an extension next to OpenAI's list
// envelope): a time range in unix seconds, exact actor and action filters, newest first, cursor
// pagination by the last entry's id.
import { z } from 'zod';

import { MAX_UNIX_SECONDS } from '../usage/usage.schemas';

const unixSeconds = z.coerce.number().int().min(0).max(MAX_UNIX_SECONDS);

export const auditQuerySchema = z
  .strictObject({
    /** Inclusive. */
    start_time: unixSeconds.optional(),
    /** Exclusive. */
    end_time: unixSeconds.optional(),
    /** Exact actor, e.g. `api_key:<id>`, `user:<id>`, `service:tool-runner`. */
    actor: z
      .string()
      .min(1)
      .max(200)
      .refine((actor) => !actor.includes('\u0000'), 'must not contain NUL characters')
      .optional(),
    /** Exact action, e.g. `tool.execute`, `safety.input_check`. */
    action: z
      .string()
      .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'a dotted lowercase verb like tool.execute')
      .optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    /** The id of the last entry of the previous page. */
    after: z.uuid().optional(),
  })
  .refine(
    (query) =>
      query.start_time === undefined || query.end_time === undefined || query.end_time > query.start_time,
    { path: ['end_time'], message: 'must be after start_time' },
  );

export type AuditQuery = z.output<typeof auditQuerySchema>;

export interface AuditEntry {
  object: 'organization.audit_log';
  id: string;
  /** When it happened, unix seconds. */
  effective_at: number;
  actor: string;
  action: string;
  decision: string | null;
  rule_ids: string[];
  resource: { type: string | null; id: string | null };
  request_id: string | null;
  trace_id: string | null;
  metadata: unknown;
}

export interface AuditPage {
  object: 'list';
  data: AuditEntry[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}
