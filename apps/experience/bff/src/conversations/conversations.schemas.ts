// Request bodies and queries of /v1/conversations (OpenAI's Conversations API: create with items and
// metadata, update, items; plus our extensions: titles, listing, messages, feedback, tool-call
// decisions) and the memory endpoints (/v1/memory…). Strict like the OpenAI-compatible ones.
import { z } from 'zod';

import { inputItemSchema } from '../responses/responses.schemas';

/** OpenAI's metadata: at most 16 string pairs, keys up to 64 characters, values up to 512. */
export const metadataSchema = z
  .record(z.string().max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, 'at most 16 keys');

/** Most items one request may add (OpenAI's limit). */
export const MAX_ITEMS_PER_REQUEST = 20;

export const createConversationSchema = z.strictObject({
  /** Extension: the title shown in conversation lists. */
  title: z.string().max(200).nullish(),
  items: z.array(inputItemSchema).max(MAX_ITEMS_PER_REQUEST).nullish(),
  metadata: metadataSchema.nullish(),
});
export type CreateConversationBody = z.infer<typeof createConversationSchema>;

/** POST /v1/conversations/{id} (OpenAI's update): metadata, and the title extension. */
export const updateConversationSchema = z.strictObject({
  metadata: metadataSchema.nullish(),
  title: z.string().min(1).max(200).optional(),
});
export type UpdateConversationBody = z.infer<typeof updateConversationSchema>;

export const createItemsSchema = z.strictObject({
  items: z.array(inputItemSchema).min(1).max(MAX_ITEMS_PER_REQUEST),
});
export type CreateItemsBody = z.infer<typeof createItemsSchema>;

export const itemsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().min(1).max(200).optional(),
  include: z.union([z.string(), z.array(z.string())]).optional(),
});
export type ItemsQuery = z.infer<typeof itemsQuerySchema>;

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

/**
 * A memory fact's text (the context service's limit: 500 characters). Blank text is refused; the pattern says so
 * in the OpenAPI document too, so a client (or the contract fuzzer) sees that `" "` is not a fact.
 */
export const memoryFactSchema = z.strictObject({
  text: z.string().regex(/\S/, 'must contain a non-whitespace character').trim().min(1).max(500),
});
export type MemoryFactBody = z.infer<typeof memoryFactSchema>;

/** GET /v1/memory/facts: a page of one status, approved (the facts in use) unless asked otherwise. */
export const memoryFactListQuerySchema = pageQuerySchema.extend({
  status: z.enum(['approved', 'proposed']).default('approved'),
});
export type MemoryFactListQuery = z.infer<typeof memoryFactListQuerySchema>;
export type MemoryOptInBody = z.infer<typeof memoryOptInSchema>;

export const conversationSchema = z.object({
  id: z.string(),
  object: z.literal('conversation'),
  title: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type ConversationObject = z.infer<typeof conversationSchema>;

export const conversationMessageSchema = z.object({
  id: z.string(),
  object: z.literal('conversation.message'),
  conversation_id: z.string(),
  seq: z.number().int(),
  /** Extension (branching): the previous message on its branch; null for a first message. */
  parent_id: z.string().nullable(),
  /** The messages sharing its parent (itself included), oldest first: the alternatives of a fork. */
  sibling_ids: z.array(z.string()),
  /** Its position in sibling_ids (0-based): a client shows "sibling_index + 1 / sibling_ids.length". */
  sibling_index: z.number().int(),
  role: z.string(),
  content: z.unknown(),
  status: z.enum(['streaming', 'complete', 'incomplete', 'blocked']),
  model: z.string().nullable(),
  finish_reason: z.string().nullable(),
  created_at: z.number().int(),
});
export type ConversationMessageObject = z.infer<typeof conversationMessageSchema>;

/** POST /v1/conversations/{id}/branch: make the branch through this message current. */
export const switchBranchSchema = z.strictObject({ message_id: z.uuid() });
export type SwitchBranchBody = z.infer<typeof switchBranchSchema>;

export const conversationBranchSchema = z.object({
  object: z.literal('conversation.branch'),
  conversation_id: z.string(),
  /** The message the current branch now ends at (the named message's newest descendant). */
  current_message_id: z.string(),
  /** The current branch, oldest first. */
  message_ids: z.array(z.string()),
});
export type ConversationBranchObject = z.infer<typeof conversationBranchSchema>;
