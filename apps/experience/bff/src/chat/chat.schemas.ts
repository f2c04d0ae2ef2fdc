// The request body of POST /v1/chat/completions, field by field after OpenAI's API, strict (unknown
// fields are a 400 naming them), plus the extension fields `conversation_id` (and `parent_message_id`
// to fork it), `file_ids`/`retrieval`
// (grounded answers from uploaded files) and `server_tools` (tools the server runs). Fields OpenAI accepts
// that this server cannot honour are accepted only with their neutral value (e.g. logprobs=false).
import { z } from 'zod';

/**
 * The most output tokens a request may ask for: the contracts carry max_tokens as a uint32, and no
 * model's context comes near 2^31 (a larger number is refused, not wrapped around).
 */
export const MAX_OUTPUT_TOKENS = 2 ** 31 - 1;

const text = z.string();

const textPart = z.strictObject({ type: z.literal('text'), text });
const imagePart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const filePart = z.strictObject({
  type: z.literal('file'),
  file: z.strictObject({
    file_id: z.string().min(1).optional(),
    filename: z.string().optional(),
    file_data: z.string().optional(),
  }),
});
const refusalPart = z.strictObject({ type: z.literal('refusal'), refusal: text });

const userContent = z.union([
  text,
  z.array(z.discriminatedUnion('type', [textPart, imagePart, filePart])).min(1),
]);
const textContent = z.union([text, z.array(textPart).min(1)]);
const assistantContent = z.union([text, z.array(z.discriminatedUnion('type', [textPart, refusalPart]))]);

const toolCallSchema = z.strictObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.strictObject({ name: z.string().min(1), arguments: z.string() }),
});

export const chatMessageSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: textContent, name: z.string().optional() }),
  z.strictObject({ role: z.literal('developer'), content: textContent, name: z.string().optional() }),
  z.strictObject({ role: z.literal('user'), content: userContent, name: z.string().optional() }),
  z.strictObject({
    role: z.literal('assistant'),
    content: assistantContent.nullish(),
    refusal: z.string().nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCallSchema).optional(),
    // Output-only: a returned message sent back as it came (what OpenAI's tool-calling guide does)
    // carries its annotations; they are accepted and ignored, as OpenAI does.
    annotations: z.array(z.unknown()).optional(),
  }),
  z.strictObject({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) }),
]);
export type ChatMessageInput = z.infer<typeof chatMessageSchema>;

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must match ^[a-zA-Z0-9_-]{1,64}$');

export const toolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: functionName,
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: functionName }) }),
]);

const responseFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: functionName,
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const uuid = z.uuid();

/** Most files one grounded request may name, and most chunks it may ask for (the orchestrator's bounds). */
export const MAX_RETRIEVAL_FILES = 20;
export const MAX_RETRIEVAL_TOP_K = 20;

const retrievalFileIds = z.array(z.string().min(1).max(64)).min(1).max(MAX_RETRIEVAL_FILES);

export const retrievalSchema = z.strictObject({
  file_ids: retrievalFileIds
    .optional()
    .describe('Search only these files (ids from POST /v1/files); omitted searches every file you may read.'),
  top_k: z
    .number()
    .int()
    .min(1)
    .max(MAX_RETRIEVAL_TOP_K)
    .optional()
    .describe('Most chunks placed in the prompt.'),
  query: z.string().min(1).max(4096).optional().describe('Search query; default: the last user message.'),
});

export const chatCompletionRequestSchema = z.strictObject({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  max_tokens: z.number().int().positive().max(MAX_OUTPUT_TOKENS).nullish(),
  max_completion_tokens: z.number().int().positive().max(MAX_OUTPUT_TOKENS).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  n: z.number().int().positive().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(toolSchema).max(128).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormatSchema.optional(),
  logprobs: z.literal(false).nullish(),
  user: z.string().max(256).optional(),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
  store: z.boolean().nullish(),
  conversation_id: uuid.optional().describe('Extension: continue this stored conversation.'),
  parent_message_id: uuid
    .optional()
    .describe(
      'Extension (with conversation_id): answer as a child of this stored message, forking the ' +
        'conversation when it is not the end of the current branch; the new branch becomes current. ' +
        "Regenerate an answer: the question's parent and the question again; edit a question: the " +
        "edited question's parent and the new text.",
    ),
  background: z
    .boolean()
    .nullish()
    .describe(
      'Extension (with conversation_id and stream: true): the turn runs detached from this request; ' +
        'a client that left resumes the stream on any replica with GET ' +
        '/v1/chat/completions/{completion_id}/stream and can cancel it with POST …/cancel.',
    ),
  file_ids: retrievalFileIds
    .optional()
    .describe('Extension: answer from these uploaded files, citing them (shorthand of retrieval.file_ids).'),
  retrieval: retrievalSchema
    .optional()
    .describe('Extension: answer from your uploaded files; the response carries `citations`.'),
  server_tools: z
    .array(functionName)
    .min(1)
    .max(32)
    .optional()
    .describe(
      'Extension: tools the server runs (the tenant policy decides which, and which need confirmation).',
    ),
  max_tool_rounds: z
    .number()
    .int()
    .min(1)
    .max(32)
    .optional()
    .describe('Extension: most server tool rounds (capped by the server); then the model must answer.'),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/** GET /v1/chat/completions/{completion_id}/stream (extension). */
export const resumeChatStreamQuerySchema = z.strictObject({
  starting_after: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a non-negative integer')
    .transform(Number)
    .optional()
    .describe('Stream the events after this sequence number (the SSE id of the last event read).'),
});
export type ResumeChatStreamQuery = z.infer<typeof resumeChatStreamQuerySchema>;
