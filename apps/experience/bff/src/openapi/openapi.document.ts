// Owns the OpenAPI 3.1 description of the BFF, generated from the same zod schemas that validate
// requests (zod 4's own JSON Schema generator), so the document cannot drift from the code. The
// OpenAI-compatible response bodies are described by the schemas here too; streaming responses are
// documented as text/event-stream whose events (event, data, id, retry) carry `chat.completion.chunk`
// objects ending in `data: [DONE]`, or the Responses API's named events. The paths also decide which
// methods the BFF answers with 405 (see method-not-allowed.middleware.ts).
import { z } from 'zod';

import { setBudgetSchema } from '../budgets/budgets.schemas';
import { chatCompletionRequestSchema } from '../chat/chat.schemas';
import {
  conversationBranchSchema,
  conversationMessageSchema,
  conversationSchema,
  createConversationSchema,
  createItemsSchema,
  feedbackSchema,
  memoryFactSchema,
  memoryOptInSchema,
  renameConversationSchema,
  switchBranchSchema,
  toolDecisionSchema,
  updateConversationSchema,
} from '../conversations/conversations.schemas';
import { fileListSchema, fileObjectSchema, uploadFileRequestSchema } from '../files/files.schemas';
import {
  embeddingRequestSchema,
  embeddingResponseSchema,
  modelListSchema,
  modelSchema,
} from '../models/models.schemas';
import { createResponseRequestSchema } from '../responses/responses.schemas';
import {
  BUCKET_LIMITS,
  COST_GROUP_BY_FIELDS,
  COST_LIMITS,
  costsPageSchema,
  embeddingsUsagePageSchema,
  GROUP_BY_FIELDS,
  MAX_UNIX_SECONDS,
  usagePageSchema,
} from '../usage/usage.schemas';

const errorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});

const SCHEMAS: Record<string, { schema: z.ZodType; io: 'input' | 'output' }> = {
  CreateChatCompletionRequest: { schema: chatCompletionRequestSchema, io: 'input' },
  CreateResponseRequest: { schema: createResponseRequestSchema, io: 'input' },
  CreateEmbeddingRequest: { schema: embeddingRequestSchema, io: 'input' },
  CreateEmbeddingResponse: { schema: embeddingResponseSchema, io: 'output' },
  Model: { schema: modelSchema, io: 'output' },
  ListModelsResponse: { schema: modelListSchema, io: 'output' },
  CreateConversationRequest: { schema: createConversationSchema, io: 'input' },
  UpdateConversationRequest: { schema: renameConversationSchema, io: 'input' },
  UpdateConversationMetadataRequest: { schema: updateConversationSchema, io: 'input' },
  CreateConversationItemsRequest: { schema: createItemsSchema, io: 'input' },
  Conversation: { schema: conversationSchema, io: 'output' },
  ConversationMessage: { schema: conversationMessageSchema, io: 'output' },
  SwitchBranchRequest: { schema: switchBranchSchema, io: 'input' },
  ConversationBranch: { schema: conversationBranchSchema, io: 'output' },
  MessageFeedbackRequest: { schema: feedbackSchema, io: 'input' },
  ToolCallDecisionRequest: { schema: toolDecisionSchema, io: 'input' },
  MemoryOptInRequest: { schema: memoryOptInSchema, io: 'input' },
  MemoryFactRequest: { schema: memoryFactSchema, io: 'input' },
  CreateFileRequest: { schema: uploadFileRequestSchema, io: 'input' },
  OpenAIFile: { schema: fileObjectSchema, io: 'output' },
  ListFilesResponse: { schema: fileListSchema, io: 'output' },
  UsageCompletionsPage: { schema: usagePageSchema, io: 'output' },
  UsageEmbeddingsPage: { schema: embeddingsUsagePageSchema, io: 'output' },
  CostsPage: { schema: costsPageSchema, io: 'output' },
  SetBudgetRequest: { schema: setBudgetSchema, io: 'input' },
  ErrorResponse: { schema: errorSchema, io: 'output' },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
const freeJson = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});
const ERRORS = Object.fromEntries(
  ['400', '401', '403', '404', '409', '413', '422', '429', '500', '503'].map((code) => [
    code,
    { description: 'OpenAI error envelope', ...json('ErrorResponse') },
  ]),
);
const idParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  {
    name: 'after',
    in: 'query',
    schema: { type: 'string', minLength: 1, maxLength: 500 },
    description: 'next_cursor of the previous page',
  },
];

/**
 * One event of a text/event-stream body (OpenAPI 3.1 describes each event with the media type's
 * schema): its fields as the wire carries them; what `data` holds is described in the operation.
 */
const serverSentEventSchema = {
  type: 'object',
  properties: {
    event: { type: 'string' },
    data: { type: 'string', contentMediaType: 'application/json' },
    id: { type: 'string' },
    retry: { type: 'integer' },
  },
};

/** The two bodies of an endpoint that answers JSON, or with stream=true Server-Sent Events. */
const JSON_OR_EVENTS = {
  'application/json': { schema: { type: 'object' } },
  'text/event-stream': { schema: ref('ServerSentEvent') },
};
/** The headers a request that runs a turn takes. */
const TURN_HEADERS = [
  {
    name: 'Idempotency-Key',
    in: 'header',
    description:
      'A retry with the same key and body replays the first answer; the same key with another body is a 422 ' +
      '(idempotency_key_reused). A key names its turn for 24 h by default (IDEMPOTENCY_WINDOW_MS). ' +
      'Printable ASCII, as the IETF Idempotency-Key draft has it.',
    schema: { type: 'string', maxLength: 255, pattern: '^[\\x20-\\x7E]*$' },
  },
  { name: 'X-Request-Id', in: 'header', schema: { type: 'string', maxLength: 128 } },
  {
    name: 'Hearth-Prompt-Variant',
    in: 'header',
    description:
      "Serve the turn with this prompt variant of the model's experiment (PROMPT_VARIANTS) instead of the " +
      'one assigned by conversation; `control` is the default prompts. An unknown variant is a 400. The turn ' +
      'trace names the variant and prompt versions that served it.',
    schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' },
  },
  {
    name: 'traceparent',
    in: 'header',
    description:
      'W3C trace context: the request continues this trace (an invalid one starts a new trace). Every ' +
      "answer carries a traceparent header naming the request's server span.",
    schema: { type: 'string' },
  },
];

function op(summary: string, response: object, extra: object = {}) {
  return { summary, responses: { '200': response, ...ERRORS }, ...extra };
}

/** Query parameters of the organization usage endpoints (completions and embeddings alike). */
function usageParameters() {
  return [
    {
      name: 'start_time',
      in: 'query',
      required: true,
      schema: { type: 'integer', minimum: 0, maximum: MAX_UNIX_SECONDS },
      description: 'unix seconds, inclusive; the first bucket starts here',
    },
    {
      name: 'end_time',
      in: 'query',
      schema: { type: 'integer', minimum: 0, maximum: MAX_UNIX_SECONDS },
      description: 'unix seconds, exclusive; default: now',
    },
    {
      name: 'bucket_width',
      in: 'query',
      schema: { type: 'string', enum: ['1m', '1h', '1d'], default: '1d' },
    },
    {
      name: 'group_by',
      in: 'query',
      schema: { type: 'array', items: { type: 'string', enum: [...GROUP_BY_FIELDS] } },
      style: 'form',
      explode: true,
    },
    {
      name: 'limit',
      in: 'query',
      schema: { type: 'integer', minimum: 1 },
      description: `buckets per page: default/max ${Object.entries(BUCKET_LIMITS)
        .map(([w, l]) => `${w} ${l.default}/${l.max}`)
        .join(', ')}`,
    },
    {
      name: 'page',
      in: 'query',
      schema: { type: 'string', minLength: 1, maxLength: 200 },
      description: 'next_page of the previous page',
    },
  ];
}

function componentSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { schema, io }] of Object.entries(SCHEMAS)) {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
    delete generated['$schema'];
    delete generated['id'];
    out[name] = generated;
  }
  return out;
}

/** The document; its paths are also the list of methods each path allows (405 for the others). */
export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export function buildOpenApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hearth API',
      version: '1.0.0',
      description:
        'OpenAI-compatible chat completions, models, embeddings and files, plus the conversations and memory extensions. ' +
        "Every response of an authenticated route carries x-ratelimit-* headers; errors use OpenAI's envelope.",
    },
    servers: [{ url: '/' }],
    security: [{ ApiKeyAuth: [] }],
    paths: {
      '/v1/models': { get: op('List models', json('ListModelsResponse')) },
      '/v1/models/{id}': { get: op('Retrieve a model', json('Model'), { parameters: [idParam('id')] }) },
      '/v1/embeddings': {
        post: op('Create embeddings', json('CreateEmbeddingResponse'), {
          requestBody: { required: true, ...json('CreateEmbeddingRequest') },
        }),
      },
      '/v1/chat/completions': {
        post: op(
          'Create a chat completion',
          {
            description:
              'A chat.completion object, or with stream=true an SSE stream of chat.completion.chunk objects ' +
              '(`data: {...}` events, `: ping` heartbeats, a final `data: [DONE]`; an error after the stream ' +
              'started arrives as a last `data: {"error": {...}}` event). Extensions: with file_ids/retrieval ' +
              'the message (or, streaming, the finish chunk) carries `citations` [{marker, file_id, filename, ' +
              'chunk_id, page, position, excerpt, start_offset, end_offset, attributed, answer_offset}] (attributed: ' +
              'the answer wrote no marker and the platform matched the source to the sentence ending at ' +
              'answer_offset) and `grounding` {status, ' +
              'retrieved_chunks, dropped_markers, unavailable_files}; with server_tools the stream carries ' +
              'chunks with `choices: []` and `hearth_tool_progress` {tool_call_id, name, stage, round, message, ' +
              'elapsed_ms} (stage pending_confirmation: approve or reject the call over REST). Extension: with ' +
              'background: true (needs conversation_id and stream: true) the turn outlives the request and each ' +
              'event carries an SSE `id:` (its sequence number): GET /v1/chat/completions/{completion_id}/stream ' +
              'resumes the stream after starting_after (or Last-Event-ID) on any replica, POST ' +
              "/v1/chat/completions/{completion_id}/cancel stops it; completion_id is the chunks' `id` " +
              '(chatcmpl-…). Without background a client that leaves the stream cancels the turn.',
            content: JSON_OR_EVENTS,
          },
          {
            parameters: TURN_HEADERS,
            requestBody: { required: true, ...json('CreateChatCompletionRequest') },
          },
        ),
      },
      '/v1/chat/completions/{completion_id}/stream': {
        get: op(
          'Extension: stream a background chat completion again',
          {
            description:
              'The SSE events (`id: <sequence number>` and `data: {chat.completion.chunk}`) after starting_after ' +
              '(or the Last-Event-ID header), as they come until the turn ends, then `data: [DONE]`. Any replica ' +
              'answers (and takes the turn over if the replica that ran it died); the events stay readable for an ' +
              "hour after the turn ended. 404 for an unknown, expired or another caller's completion.",
            content: { 'text/event-stream': { schema: ref('ServerSentEvent') } },
          },
          {
            parameters: [
              idParam('completion_id'),
              {
                name: 'starting_after',
                in: 'query',
                schema: { type: 'integer', minimum: 0, maximum: 999_999_999_999_999 },
              },
              { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } },
            ],
          },
        ),
      },
      '/v1/chat/completions/{completion_id}/cancel': {
        post: op(
          'Extension: cancel a background chat completion',
          freeJson(
            'The chat.completion as it ended (the answer written before the cancellation; finish_reason stop)',
          ),
          { parameters: [idParam('completion_id')] },
        ),
      },
      '/v1/responses': {
        post: op(
          'Create a model response (OpenAI Responses API)',
          {
            description:
              'A response object, or with stream=true an SSE stream of named events (`event: <type>` and ' +
              '`data: {...}` with sequence_number): response.created, response.in_progress, ' +
              'response.output_item.added, response.content_part.added, response.output_text.delta, ' +
              'response.function_call_arguments.delta, their .done events, and last response.completed, ' +
              'response.incomplete or response.failed. With store (the default) the response can be read back ' +
              'and continued with previous_response_id; conversation continues a stored conversation instead. ' +
              'With background: true the turn outlives the request: GET /v1/responses/{id}?stream=true resumes its ' +
              'stream from starting_after (or Last-Event-ID) on any replica, POST /v1/responses/{id}/cancel stops it. ' +
              'Extension: with retrieval the output text carries file_citation annotations and the response ' +
              '`citations`.',
            content: JSON_OR_EVENTS,
          },
          {
            parameters: TURN_HEADERS,
            requestBody: { required: true, ...json('CreateResponseRequest') },
          },
        ),
      },
      '/v1/responses/{id}': {
        get: op(
          'Retrieve a stored response; with stream=true a background response streams again',
          {
            description: 'A response object, or with stream=true the SSE events after starting_after.',
            content: JSON_OR_EVENTS,
          },
          {
            parameters: [
              idParam('id'),
              { name: 'stream', in: 'query', schema: { type: 'string', enum: ['true', 'false'] } },
              {
                name: 'starting_after',
                in: 'query',
                schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
              },
              {
                name: 'include_obfuscation',
                in: 'query',
                schema: { type: 'string', enum: ['true', 'false'] },
              },
              { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } },
            ],
          },
        ),
        delete: op('Delete a stored response', freeJson('{ id, object: "response", deleted }'), {
          parameters: [idParam('id')],
        }),
      },
      '/v1/responses/{id}/cancel': {
        post: op('Cancel a background response', freeJson('The response, cancelled (or as it ended)'), {
          parameters: [idParam('id')],
        }),
      },
      '/v1/responses/{id}/input_items': {
        get: op('List the input items of a stored response', freeJson('A list of input items'), {
          parameters: [
            idParam('id'),
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
            {
              name: 'order',
              in: 'query',
              schema: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
            },
            {
              name: 'after',
              in: 'query',
              schema: { type: 'string', minLength: 1 },
              description: 'last_id of the previous page',
            },
          ],
        }),
      },
      '/v1/files': {
        post: op('Upload a file (indexed for retrieval in the background)', json('OpenAIFile'), {
          requestBody: {
            required: true,
            content: { 'multipart/form-data': { schema: ref('CreateFileRequest') } },
          },
        }),
        get: op('List your files', json('ListFilesResponse'), {
          parameters: [
            { name: 'purpose', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 64 } },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 10000, default: 10000 },
            },
            { name: 'after', in: 'query', schema: { type: 'string', minLength: 1 } },
          ],
        }),
      },
      '/v1/files/{id}': {
        get: op('Retrieve a file (poll until processing_status is ready)', json('OpenAIFile'), {
          parameters: [idParam('id')],
        }),
        delete: op('Delete a file and its index', freeJson('{ id, object: "file", deleted }'), {
          parameters: [idParam('id')],
        }),
      },
      '/v1/conversations': {
        get: op('List conversations', freeJson('A page of Conversation objects'), { parameters: pageParams }),
        post: op('Create a conversation, with initial items and metadata (OpenAI)', json('Conversation'), {
          requestBody: { required: false, ...json('CreateConversationRequest') },
        }),
      },
      '/v1/conversations/{id}': {
        get: op('Retrieve a conversation', json('Conversation'), { parameters: [idParam('id')] }),
        post: op('Update a conversation: metadata, title (OpenAI)', json('Conversation'), {
          parameters: [idParam('id')],
          requestBody: { required: true, ...json('UpdateConversationMetadataRequest') },
        }),
        patch: op('Rename a conversation', json('Conversation'), {
          parameters: [idParam('id')],
          requestBody: { required: true, ...json('UpdateConversationRequest') },
        }),
        delete: op(
          'Delete a conversation (tombstone)',
          freeJson('{ id, object: "conversation.deleted", deleted }'),
          {
            parameters: [idParam('id')],
          },
        ),
      },
      '/v1/conversations/{id}/items': {
        get: op('List the items of a conversation (OpenAI)', freeJson('A list of conversation items'), {
          parameters: [
            idParam('id'),
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
            {
              name: 'order',
              in: 'query',
              schema: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
            },
            {
              name: 'after',
              in: 'query',
              schema: { type: 'string' },
              description: 'last_id of the previous page',
            },
          ],
        }),
        post: op('Add items to a conversation (OpenAI)', freeJson('The list of the added items'), {
          parameters: [idParam('id')],
          requestBody: { required: true, ...json('CreateConversationItemsRequest') },
        }),
      },
      '/v1/conversations/{id}/items/{item_id}': {
        get: op('Retrieve a conversation item (OpenAI)', freeJson('A conversation item'), {
          parameters: [idParam('id'), idParam('item_id')],
        }),
        delete: op(
          'Delete a conversation item (OpenAI): it leaves the branch (its children re-attach to its parent) and future contexts',
          json('Conversation'),
          { parameters: [idParam('id'), idParam('item_id')] },
        ),
      },
      '/v1/conversations/{id}/messages': {
        get: op(
          'List the messages of the current branch in order, each with its siblings',
          freeJson('A page of ConversationMessage objects'),
          { parameters: [idParam('id'), ...pageParams] },
        ),
      },
      '/v1/conversations/{id}/branch': {
        post: op(
          "Make the branch through a message current (it ends at that message's newest descendant)",
          json('ConversationBranch'),
          {
            parameters: [idParam('id')],
            requestBody: { required: true, ...json('SwitchBranchRequest') },
          },
        ),
      },
      '/v1/conversations/{id}/messages/{mid}/trace': {
        get: op('What the model saw for this answer', freeJson('A turn trace'), {
          parameters: [idParam('id'), idParam('mid')],
        }),
      },
      '/v1/conversations/{id}/messages/{mid}/feedback': {
        post: op('Rate an assistant message', freeJson('The stored feedback'), {
          parameters: [idParam('id'), idParam('mid')],
          requestBody: { required: true, ...json('MessageFeedbackRequest') },
        }),
      },
      '/v1/conversations/{id}/tool_calls/{call_id}/approve': {
        post: op('Approve a tool call waiting for confirmation', freeJson('The execution state'), {
          parameters: [idParam('id'), idParam('call_id')],
          requestBody: { required: false, ...json('ToolCallDecisionRequest') },
        }),
      },
      '/v1/conversations/{id}/tool_calls/{call_id}/reject': {
        post: op('Reject a tool call waiting for confirmation', freeJson('The execution state'), {
          parameters: [idParam('id'), idParam('call_id')],
          requestBody: { required: false, ...json('ToolCallDecisionRequest') },
        }),
      },
      '/v1/organization/usage/completions': {
        get: op(
          'Completions usage of the tenant in time buckets (scope admin)',
          json('UsageCompletionsPage'),
          { parameters: usageParameters() },
        ),
      },
      '/v1/organization/usage/embeddings': {
        get: op('Embeddings usage of the tenant in time buckets (scope admin)', json('UsageEmbeddingsPage'), {
          parameters: usageParameters(),
        }),
      },
      '/v1/organization/costs': {
        get: op(
          'Costs of the tenant per day (scope admin): the sum of what each request was priced at when ' +
            'metered; a line item is a model; amount_micros (extension) is the exact integer',
          json('CostsPage'),
          {
            parameters: [
              {
                name: 'start_time',
                in: 'query',
                required: true,
                schema: { type: 'integer', minimum: 0, maximum: MAX_UNIX_SECONDS },
              },
              {
                name: 'end_time',
                in: 'query',
                schema: { type: 'integer', minimum: 0, maximum: MAX_UNIX_SECONDS },
              },
              { name: 'bucket_width', in: 'query', schema: { type: 'string', enum: ['1d'], default: '1d' } },
              {
                name: 'group_by',
                in: 'query',
                schema: { type: 'array', items: { type: 'string', enum: [...COST_GROUP_BY_FIELDS] } },
                style: 'form',
                explode: true,
              },
              {
                name: 'limit',
                in: 'query',
                schema: {
                  type: 'integer',
                  minimum: 1,
                  maximum: COST_LIMITS.max,
                  default: COST_LIMITS.default,
                },
              },
              { name: 'page', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 200 } },
            ],
          },
        ),
      },
      '/v1/organization/audit_logs': {
        get: op(
          "The tenant's audit trail, newest first (scope admin; read only: nothing in the API edits it)",
          freeJson('{ object: "list", data: organization.audit_log[], first_id, last_id, has_more }'),
          {
            parameters: [
              {
                name: 'start_time',
                in: 'query',
                schema: { type: 'integer', minimum: 0, maximum: MAX_UNIX_SECONDS },
              },
              {
                name: 'end_time',
                in: 'query',
                schema: { type: 'integer', minimum: 0, maximum: MAX_UNIX_SECONDS },
              },
              { name: 'actor', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 200 } },
              {
                name: 'action',
                in: 'query',
                schema: { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$' },
              },
              {
                name: 'limit',
                in: 'query',
                schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
              },
              { name: 'after', in: 'query', schema: { type: 'string', format: 'uuid' } },
            ],
          },
        ),
      },
      '/v1/organization/budgets': {
        get: op(
          "List the tenant's budgets in money with their current window's settled spend (scope admin)",
          freeJson('{ object: "list", data: organization.budget[] }'),
        ),
        post: op(
          'Set a daily or monthly budget of the tenant, one of its API keys or one of its users ' +
            '(created, or its amount replaced; scope admin). A key’s traffic counts toward its key, its ' +
            'user and its tenant; a request that would pass a budget is refused with 429 ' +
            'insufficient_quota naming it',
          freeJson('The organization.budget'),
          { requestBody: { required: true, ...json('SetBudgetRequest') } },
        ),
      },
      '/v1/organization/budgets/{id}': {
        get: op('Read a budget (scope admin)', freeJson('The organization.budget'), {
          parameters: [idParam('id')],
        }),
        delete: op('Delete a budget (scope admin)', freeJson('{ id, object, deleted }'), {
          parameters: [idParam('id')],
        }),
      },
      '/v1/memory/facts': {
        get: op(
          'List memory facts of one status: approved (the default; the facts in use) or proposed ' +
            '(proposed from conversations while memory is on, waiting for approval, never used)',
          freeJson('A page of memory facts and the opt-in state'),
          {
            parameters: [
              ...pageParams,
              {
                name: 'status',
                in: 'query',
                schema: { type: 'string', enum: ['approved', 'proposed'], default: 'approved' },
              },
            ],
          },
        ),
        post: op('Write a memory fact (422 while memory is off)', freeJson('The stored fact'), {
          requestBody: { required: true, ...json('MemoryFactRequest') },
        }),
      },
      '/v1/memory/facts/{id}': {
        patch: op('Edit a memory fact', freeJson('The stored fact'), {
          parameters: [idParam('id')],
          requestBody: { required: true, ...json('MemoryFactRequest') },
        }),
        delete: op('Delete a memory fact (a proposed one: reject it)', freeJson('{ id, object, deleted }'), {
          parameters: [idParam('id')],
        }),
      },
      '/v1/memory/facts/{id}/approve': {
        post: op(
          'Approve a proposed memory fact, so it is used from the next turn on (404 for anyone ' +
            "else's or an unknown fact, 422 when it is already approved)",
          freeJson('The approved fact'),
          { parameters: [idParam('id')] },
        ),
      },
      '/v1/memory/export': { get: op('Export every memory fact', freeJson('All facts')) },
      '/v1/memory/settings': {
        put: op('Switch memory on or off', freeJson('{ object: "memory.settings", opt_in }'), {
          requestBody: { required: true, ...json('MemoryOptInRequest') },
        }),
      },
    },
    components: {
      securitySchemes: { ApiKeyAuth: { type: 'http', scheme: 'bearer', description: 'sk-… API key' } },
      schemas: { ...componentSchemas(), ServerSentEvent: serverSentEventSchema },
    },
  };
}
