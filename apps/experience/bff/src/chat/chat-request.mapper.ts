// Owns the translation of an OpenAI chat completion request into the orchestrator's RunTurnRequest,
// including the checks OpenAI makes beyond types (n must be 1 here, stream_options needs stream,
// tool_choice must name an offered tool, json_schema needs a schema, a forced/required tool choice
// needs tools). Every refusal is a 400 naming the parameter. The extensions map to RunTurn's own
// fields: `file_ids`/`retrieval` to its retrieval option, `server_tools` to its server tool names.
import { commonV1, type orchestratorV1 } from '@hearth/contracts';

import { ApiError } from '../errors/api.error';
import type { ChatCompletionRequest, ChatMessageInput } from './chat.schemas';
import { checkOutputSchemaOf } from './output-schema.check';
import { findPairingProblem } from './tool-call-pairing';

const ROLES: Record<ChatMessageInput['role'], commonV1.Role> = {
  system: commonV1.Role.ROLE_SYSTEM,
  developer: commonV1.Role.ROLE_DEVELOPER,
  user: commonV1.Role.ROLE_USER,
  assistant: commonV1.Role.ROLE_ASSISTANT,
  tool: commonV1.Role.ROLE_TOOL,
};

const DETAIL: Record<string, commonV1.ImageDetail> = {
  auto: commonV1.ImageDetail.IMAGE_DETAIL_AUTO,
  low: commonV1.ImageDetail.IMAGE_DETAIL_LOW,
  high: commonV1.ImageDetail.IMAGE_DETAIL_HIGH,
};

export interface TurnIdentity {
  caller: commonV1.Caller;
  requestId: string;
  idempotencyKey: string;
  /** The Hearth-Prompt-Variant header: a prompt variant to serve the turn with; empty: assigned. */
  promptVariant?: string;
}

const PROMPT_VARIANT = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** A structured-header string, as the IETF Idempotency-Key draft has it: printable ASCII. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{0,255}$/;

/**
 * The Idempotency-Key header of a turn request (400 when malformed); empty when absent. The key
 * travels in gRPC metadata, which takes printable ASCII only: a tab in it used to end in a 500.
 */
export function idempotencyKeyHeader(header: string | undefined): string {
  const value = header ?? '';
  if (!IDEMPOTENCY_KEY.test(value))
    throw ApiError.badRequest(
      value.length > 255
        ? 'Idempotency-Key must be at most 255 characters.'
        : 'Idempotency-Key must be printable ASCII (no tabs or other control characters).',
      'Idempotency-Key',
    );
  return value;
}

/** The Hearth-Prompt-Variant header of a turn request (400 when malformed); empty when absent. */
export function promptVariantHeader(header: string | undefined): string {
  const value = header?.trim() ?? '';
  if (value !== '' && !PROMPT_VARIANT.test(value))
    throw ApiError.badRequest(
      'Hearth-Prompt-Variant must be a variant name: lower-case letters, digits and dashes (at most 32).',
      'Hearth-Prompt-Variant',
    );
  return value;
}

export function toRunTurnRequest(
  body: ChatCompletionRequest,
  identity: TurnIdentity,
): orchestratorV1.RunTurnRequest {
  checkSemantics(body);
  const stop = body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    caller: identity.caller,
    requestId: identity.requestId,
    idempotencyKey: identity.idempotencyKey,
    detached: false,
    conversationId: body.conversation_id ?? '',
    parentMessageId: body.parent_message_id ?? '',
    promptVariant: identity.promptVariant ?? '',
    messages: toChatMessages(body.messages),
    model: body.model,
    sampling: {
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      // OpenAI seeds are int64; the workers take 32 bits.
      seed: body.seed == null ? undefined : Number(BigInt.asUintN(32, BigInt(body.seed))),
      stop,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
      frequencyPenalty: body.frequency_penalty ?? undefined,
      presencePenalty: body.presence_penalty ?? undefined,
    },
    tools: (body.tools ?? []).map((t) => ({
      name: t.function.name,
      description: t.function.description ?? '',
      parametersJsonSchema: t.function.parameters ? JSON.stringify(t.function.parameters) : '',
      strict: t.function.strict ?? false,
    })),
    serverToolNames: body.server_tools ?? [],
    toolChoice: toToolChoice(body),
    responseFormat: toResponseFormat(body),
    // Always asked for: the non-streaming body needs it and the rate limiter settles on it; the SSE
    // writer only forwards it when the client asked.
    streamOptions: { includeUsage: true },
    maxToolRounds: body.max_tool_rounds ?? 0,
    retrieval: toRetrieval(body),
  };
}

function toRetrieval(body: ChatCompletionRequest): orchestratorV1.TurnRetrieval | null {
  if (body.file_ids === undefined && body.retrieval === undefined) return null;
  return {
    enabled: true,
    fileIds: body.file_ids ?? body.retrieval?.file_ids ?? [],
    topK: body.retrieval?.top_k ?? 0,
    query: body.retrieval?.query ?? '',
  };
}

function checkSemantics(body: ChatCompletionRequest): void {
  if (body.n != null && body.n !== 1) {
    throw ApiError.badRequest(
      'This server generates one choice per request: n must be 1.',
      'n',
      'unsupported_value',
    );
  }
  if (body.parent_message_id != null && body.conversation_id == null) {
    throw ApiError.badRequest('parent_message_id needs a conversation_id.', 'parent_message_id');
  }
  if (body.background === true && body.conversation_id == null) {
    throw ApiError.badRequest('background needs a conversation_id.', 'background');
  }
  if (body.background === true && body.stream !== true) {
    throw ApiError.badRequest('background is only allowed when stream is true.', 'background');
  }
  if (body.stream_options != null && body.stream !== true) {
    throw ApiError.badRequest('stream_options is only allowed when stream is true.', 'stream_options');
  }
  if (
    body.max_tokens != null &&
    body.max_completion_tokens != null &&
    body.max_tokens !== body.max_completion_tokens
  ) {
    throw ApiError.badRequest(
      'max_tokens and max_completion_tokens disagree; set only max_completion_tokens.',
      'max_tokens',
    );
  }
  if (body.file_ids !== undefined && body.retrieval?.file_ids !== undefined) {
    throw ApiError.badRequest('Set file_ids or retrieval.file_ids, not both.', 'file_ids');
  }
  const offered = [...(body.tools ?? []).map((t) => t.function.name), ...(body.server_tools ?? [])];
  const names = new Set(offered);
  if (names.size !== offered.length) {
    throw ApiError.badRequest('Tool names must be unique across tools and server_tools.', 'tools');
  }
  const choice = body.tool_choice;
  if (choice !== undefined && choice !== 'none' && choice !== 'auto' && names.size === 0) {
    throw ApiError.badRequest("tool_choice requires 'tools' or 'server_tools' to be set.", 'tool_choice');
  }
  if (typeof choice === 'object' && !names.has(choice.function.name)) {
    throw ApiError.badRequest(
      `tool_choice names '${choice.function.name}', which is not one of the tools.`,
      'tool_choice.function.name',
    );
  }
  if (body.response_format?.type === 'json_schema' && !body.response_format.json_schema.schema) {
    throw ApiError.badRequest('json_schema requires a schema.', 'response_format.json_schema.schema');
  }
  body.messages.forEach((m, i) => {
    if (m.role === 'assistant' && m.content == null && !m.tool_calls?.length && m.refusal == null) {
      throw ApiError.badRequest(
        'An assistant message needs content or tool_calls.',
        `messages[${i}].content`,
      );
    }
  });
  // With conversation_id the calls being answered are in the stored history, not in the request.
  if (body.conversation_id === undefined) checkToolCallPairs(body.messages);
}

/** OpenAI's 400s for tool messages that answer no call, and calls left without a tool message. */
function checkToolCallPairs(messages: ChatMessageInput[]): void {
  const problem = findPairingProblem(messages);
  if (!problem) return;
  switch (problem.kind) {
    case 'orphan_result':
      throw ApiError.badRequest(
        "Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls'.",
        `messages.[${problem.index}].role`,
      );
    case 'unknown_call':
      throw ApiError.badRequest(
        `Invalid parameter: 'tool_call_id' of '${problem.callId}' not found in 'tool_calls' of previous message.`,
        `messages.[${problem.index}].tool_call_id`,
      );
    case 'missing_result':
      throw ApiError.badRequest(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each " +
          `'tool_call_id'. The following tool_call_ids did not have response messages: ${problem.callIds.join(', ')}`,
        `messages.[${problem.index}].role`,
      );
  }
}

/** OpenAI chat messages as the wire's ChatMessages (a message's index names it in errors). */
export function toChatMessages(messages: ChatMessageInput[]): commonV1.ChatMessage[] {
  return messages.map((m, i) => toChatMessage(m, i));
}

function toChatMessage(m: ChatMessageInput, index: number): commonV1.ChatMessage {
  const base: commonV1.ChatMessage = {
    role: ROLES[m.role],
    content: [],
    name: 'name' in m && m.name ? m.name : '',
    toolCalls: [],
    toolCallId: m.role === 'tool' ? m.tool_call_id : '',
  };
  const content = m.content;
  if (typeof content === 'string') {
    base.content = [{ text: content }];
  } else if (Array.isArray(content)) {
    base.content = content.map((part, p): commonV1.ContentPart => {
      switch (part.type) {
        case 'text':
          return { text: part.text };
        case 'refusal':
          return { refusal: part.refusal };
        case 'image_url':
          return { image: { url: part.image_url.url, detail: DETAIL[part.image_url.detail ?? 'auto'] ?? 0 } };
        case 'file':
          if (!part.file.file_id) {
            throw ApiError.badRequest(
              'Inline file_data is not supported; upload the file and pass its file_id.',
              `messages[${index}].content[${p}].file.file_id`,
            );
          }
          return { file: { fileId: part.file.file_id, filename: part.file.filename ?? '' } };
      }
    });
  }
  if (m.role === 'assistant') {
    if (m.refusal) base.content.push({ refusal: m.refusal });
    base.toolCalls = (m.tool_calls ?? []).map((c) => ({
      id: c.id,
      name: c.function.name,
      argumentsJson: c.function.arguments,
    }));
  }
  return base;
}

function toToolChoice(body: ChatCompletionRequest): commonV1.ToolChoice | null {
  const choice = body.tool_choice;
  const disableParallelCalls = body.parallel_tool_calls === false;
  const { ToolChoiceMode } = commonV1;
  if (choice === undefined)
    return disableParallelCalls
      ? { mode: ToolChoiceMode.TOOL_CHOICE_MODE_UNSPECIFIED, name: '', disableParallelCalls }
      : null;
  if (choice === 'none')
    return { mode: ToolChoiceMode.TOOL_CHOICE_MODE_NONE, name: '', disableParallelCalls };
  if (choice === 'auto')
    return { mode: ToolChoiceMode.TOOL_CHOICE_MODE_AUTO, name: '', disableParallelCalls };
  if (choice === 'required')
    return { mode: ToolChoiceMode.TOOL_CHOICE_MODE_REQUIRED, name: '', disableParallelCalls };
  return { mode: ToolChoiceMode.TOOL_CHOICE_MODE_FORCED, name: choice.function.name, disableParallelCalls };
}

function toResponseFormat(body: ChatCompletionRequest): commonV1.ResponseFormat | null {
  const format = body.response_format;
  if (!format) return null;
  switch (format.type) {
    case 'text':
      return {
        type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_TEXT,
        schemaName: '',
        schemaJson: '',
        strict: false,
      };
    case 'json_object':
      return {
        type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_OBJECT,
        schemaName: '',
        schemaJson: '',
        strict: false,
      };
    case 'json_schema': {
      const schemaJson = JSON.stringify(format.json_schema.schema);
      checkOutputSchemaOf(schemaJson, format.json_schema.name, 'response_format');
      return {
        type: commonV1.ResponseFormatType.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
        schemaName: format.json_schema.name,
        schemaJson,
        strict: format.json_schema.strict ?? false,
      };
    }
  }
}
