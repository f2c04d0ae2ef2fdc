// Request bodies and queries of the conversations extension (/v1/conversations…) and memory
// endpoints (/v1/memory…). Strict like the OpenAI-compatible ones.
import { z } from 'zod';

export const createConversationSchema = z.strictObject({ title: z.string().max(200).nullish() });
export type CreateConversationBody = z.infer<typeof createConversationSchema>;

export const renameConversationSchema = z.strictObject({ title: z.string().min(1).max(200) });
export type RenameConversationBody = z.infer<typeof renameConversationSchema>;

export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(500).optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

export const feedbackSchema = z.strictObject({
  rating: z.enum(['up', 'down']),
  comment: z.string().max(2000).nullish(),
});
export type FeedbackBody = z.infer<typeof feedbackSchema>;

export const toolDecisionSchema = z.strictObject({ reason: z.string().max(1000).optional() });
export type ToolDecisionBody = z.infer<typeof toolDecisionSchema>;

export const memoryOptInSchema = z.strictObject({ opt_in: z.boolean() });
export type MemoryOptInBody = z.infer<typeof memoryOptInSchema>;

export const conversationSchema = z.object({
  id: z.string(),
  object: z.literal('conversation'),
  title: z.string().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type ConversationObject = z.infer<typeof conversationSchema>;

export const conversationMessageSchema = z.object({
  id: z.string(),
  object: z.literal('conversation.message'),
  conversation_id: z.string(),
  seq: z.number().int(),
  role: z.string(),
  content: z.unknown(),
  status: z.enum(['streaming', 'complete', 'incomplete', 'blocked']),
  model: z.string().nullable(),
  finish_reason: z.string().nullable(),
  created_at: z.number().int(),
});
export type ConversationMessageObject = z.infer<typeof conversationMessageSchema>;
