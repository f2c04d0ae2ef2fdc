// The request body of POST /v1/responses, after OpenAI's CreateResponse: text or item input (messages,
// function calls and their outputs), instructions, previous_response_id or conversation, store,
// background, function tools,
// tool_choice, text.format (JSON schema), sampling, max_output_tokens, metadata. Strict: an unknown
// field is a 400 naming it.
import { z } from 'zod';

import { MAX_OUTPUT_TOKENS, retrievalSchema } from '../chat/chat.schemas';

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must match ^[a-zA-Z0-9_-]{1,64}$');

const inputText = z.strictObject({ type: z.literal('input_text'), text: z.string() });
const inputImage = z.strictObject({
  type: z.literal('input_image'),
  image_url: z.string().min(1).nullish(),
  file_id: z.string().min(1).nullish(),
  detail: z.enum(['auto', 'low', 'high']).optional(),
});
const inputFile = z.strictObject({
  type: z.literal('input_file'),
  file_id: z.string().min(1).nullish(),
  filename: z.string().optional(),
  file_data: z.string().optional(),
  file_url: z.string().optional(),
});
const outputText = z.strictObject({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()).optional(),
  logprobs: z.array(z.unknown()).optional(),
});
const refusal = z.strictObject({ type: z.literal('refusal'), refusal: z.string() });

export const inputContentPartSchema = z.discriminatedUnion('type', [
  inputText,
  inputImage,
  inputFile,
  outputText,
  refusal,
]);
export type InputContentPart = z.infer<typeof inputContentPartSchema>;

const messageItem = z.strictObject({
  type: z.literal('message').optional(),
  id: z.string().optional(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(inputContentPartSchema)]),
  phase: z.string().nullish(),
});

const functionCallItem = z.strictObject({
  type: z.literal('function_call'),
  id: z.string().optional(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).optional(),
  call_id: z.string().min(1),
  name: functionName,
  arguments: z.string(),
});

const functionCallOutputItem = z.strictObject({
  type: z.literal('function_call_output'),
  id: z.string().nullish(),
  status: z.enum(['in_progress', 'completed', 'incomplete']).nullish(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(z.union([inputText, inputImage, inputFile]))]),
});

export const inputItemSchema = z.union([messageItem, functionCallItem, functionCallOutputItem]);
export type InputItem = z.infer<typeof inputItemSchema>;
export type MessageInputItem = z.infer<typeof messageItem>;

const functionTool = z.strictObject({
  type: z.literal('function'),
  name: functionName,
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), name: functionName }),
]);

const textFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    name: functionName,
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullish(),
  }),
]);
export type TextFormat = z.infer<typeof textFormat>;

export const createResponseRequestSchema = z.strictObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItemSchema).min(1)]),
  instructions: z.string().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_obfuscation: z.boolean().optional() }).nullish(),
  background: z.boolean().nullish(),
  conversation: z.union([z.string().min(1), z.strictObject({ id: z.string().min(1) })]).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_output_tokens: z.number().int().positive().max(MAX_OUTPUT_TOKENS).nullish(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 keys')
    .nullish(),
  tools: z.array(functionTool).max(128).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.strictObject({ format: textFormat.optional(), verbosity: z.enum(['medium']).nullish() }).nullish(),
  truncation: z.literal('disabled').nullish(),
  user: z.string().max(256).optional(),
  safety_identifier: z.string().max(256).optional(),
  retrieval: retrievalSchema
    .optional()
    .describe('Extension: answer from your uploaded files; the output text carries file citations.'),
});
export type CreateResponseRequest = z.infer<typeof createResponseRequestSchema>;

export const listInputItemsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().min(1).optional(),
});
export type ListInputItemsQuery = z.infer<typeof listInputItemsQuerySchema>;

export const retrieveResponseQuerySchema = z.strictObject({
  stream: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
  starting_after: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a non-negative integer')
    .transform(Number)
    .optional(),
  include_obfuscation: z.enum(['true', 'false']).optional(),
});
export type RetrieveResponseQuery = z.infer<typeof retrieveResponseQuerySchema>;
