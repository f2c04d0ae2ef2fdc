// Request shapes of the files endpoints (OpenAI's, plus `tenant_wide` on upload), validated with zod.
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
