// Request shapes of the files endpoints (OpenAI's, plus `tenant_wide` on upload), validated with zod,
// and the file object they answer with (OpenAI's, plus extension fields), for the OpenAPI document.
import { z } from 'zod';

import { FILE_PURPOSES } from './files.constants';

export const uploadFieldsSchema = z.object({
  purpose: z.enum(FILE_PURPOSES, { error: `purpose must be one of: ${FILE_PURPOSES.join(', ')}` }),
  /** Extension: let everyone in the tenant retrieve from the file (default: only the uploader). */
  tenant_wide: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
});
export type UploadFields = z.output<typeof uploadFieldsSchema>;

export const listFilesQuerySchema = z.object({
  purpose: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  after: z.string().min(1).optional(),
  order: z.enum(['desc']).default('desc'),
});
export type ListFilesQuery = z.output<typeof listFilesQuerySchema>;

export const fileObjectSchema = z.object({
  id: z.string(),
  object: z.literal('file'),
  bytes: z.number().int(),
  created_at: z.number().int(),
  filename: z.string(),
  purpose: z.string(),
  status: z.enum(['uploaded', 'processed', 'error']),
  status_details: z.string().optional(),
  processing_status: z
    .enum(['uploaded', 'processing', 'ready', 'failed'])
    .describe('Extension: the finer ingestion state; retrieval searches `ready` files.'),
  content_type: z
    .string()
    .describe('Extension: the type sniffed from the bytes (the declared one is never trusted).'),
  tenant_wide: z.boolean().describe('Extension: everyone in the tenant may retrieve from it.'),
});

export const fileListSchema = z.object({
  object: z.literal('list'),
  data: z.array(fileObjectSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});

export const uploadFileRequestSchema = z.object({
  file: z.string().meta({ format: 'binary' }).describe('The file (multipart part with a filename).'),
  purpose: z.enum(FILE_PURPOSES),
  tenant_wide: z.enum(['true', 'false']).optional().describe('Extension: share with the whole tenant.'),
});
