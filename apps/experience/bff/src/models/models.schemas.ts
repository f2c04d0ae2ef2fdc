// Request and response shapes of /v1/models and /v1/embeddings (OpenAI's, plus documented extension
// fields on Model). Request schemas are strict: an unknown field is a 400 naming it.
import { z } from 'zod';

export const modelSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  aliases: z.array(z.string()).describe('Extension: other names that resolve to this model.'),
  context_length: z.number().int().describe('Extension: context length in tokens.'),
  capabilities: z.array(z.string()).describe('Extension: chat, embeddings, tools, json_schema, vision.'),
  available: z.boolean().describe('Extension: a healthy worker serves the model now.'),
});

export const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelSchema) });

/** OpenAI answers an empty input string with a 400 too. */
const nonEmptyInput = z.string().min(1, { error: 'inputs must be non-empty strings.' });

export const embeddingRequestSchema = z.strictObject({
  model: z.string().min(1),
  input: z.union([nonEmptyInput, z.array(nonEmptyInput).min(1).max(256)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  /** Shortening embeddings is not supported: any value is a 400 (the document says so too). */
  dimensions: z
    .never({ error: 'This server does not support shortening embeddings (dimensions).' })
    .optional(),
  user: z.string().max(256).optional(),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

export const embeddingResponseSchema = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      object: z.literal('embedding'),
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});
export type EmbeddingResponse = z.infer<typeof embeddingResponseSchema>;
export type ModelObject = z.infer<typeof modelSchema>;
