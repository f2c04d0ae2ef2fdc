// Owns validating a RunTurnRequest before anything is stored: every problem is INVALID_ARGUMENT with a
// message that names the field, so the BFF can turn it into OpenAI's 400 error shape.
import { commonV1, orchestratorV1 } from '@hearth/contracts';
import { invalidArgument, isUuid, requireStorableText, validateCaller } from '@hearth/grpc';
import {
  CONTROL_VARIANT,
  DEFAULT_PROMPTS,
  UnknownPromptVariantError,
  type PromptSelection,
  type PromptVariantSelector,
} from '@hearth/prompts';

import { outputValidatorFor, type OutputValidator } from './structured-output.validator';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** The request id gets a `:r<round>` suffix per model call; the gateway accepts up to 200. */
const MAX_REQUEST_ID = 180;
const MAX_MESSAGES = 1_000;
const MAX_RETRIEVAL_FILES = 20;
const MAX_RETRIEVAL_TOP_K = 20;
const MESSAGE_ROLES: ReadonlySet<commonV1.Role> = new Set([
  commonV1.Role.ROLE_SYSTEM,
  commonV1.Role.ROLE_DEVELOPER,
  commonV1.Role.ROLE_USER,
  commonV1.Role.ROLE_ASSISTANT,
  commonV1.Role.ROLE_TOOL,
]);

export interface TurnCaller {
  tenantId: string;
  apiKeyId: string;
  userId?: string;
}

export interface ValidatedTurn {
  request: orchestratorV1.RunTurnRequest;
  caller: TurnCaller;
  conversationId?: string;
  /** The stored message this turn answers as a child of (a fork); undefined continues the branch. */
  parentMessageId?: string;
  idempotencyKey?: string;
  outputValidator?: OutputValidator;
  /** The prompt versions that serve the turn (its variant's); the defaults until TurnService picks. */
  prompts: PromptSelection;
}

/** The caller of every orchestrator rpc: a tenant and the API key the turn's model calls are metered to. */
export function turnCaller(caller: commonV1.Caller | null | undefined): TurnCaller {
  const valid = validateCaller(caller, { apiKey: true });
  return { tenantId: valid.tenantId, apiKeyId: valid.apiKeyId, userId: valid.userId || undefined };
}

/**
 * `prompts`: picks the turn's prompt variant (sticky by conversation, else request id); without one
 * every turn gets the default prompts and only `control` may be named.
 */
export function validateTurnRequest(
  request: orchestratorV1.RunTurnRequest,
  prompts?: Pick<PromptVariantSelector, 'select'>,
): ValidatedTurn {
  const caller = turnCaller(request.caller);
  if (request.requestId.length === 0 || request.requestId.length > MAX_REQUEST_ID)
    throw invalidArgument(`request_id is required (1-${MAX_REQUEST_ID} characters)`);
  if (request.idempotencyKey.length > 255)
    throw invalidArgument('idempotency_key is longer than 255 characters');
  requireStorableText('request_id', request.requestId);
  requireStorableText('idempotency_key', request.idempotencyKey);
  if (request.detached && request.idempotencyKey === '')
    throw invalidArgument('a detached turn needs an idempotency_key (to re-attach to it)');
  if (request.conversationId !== '') {
    if (!isUuid(request.conversationId)) throw invalidArgument('conversation_id must be a UUID');
    if (!caller.userId) throw invalidArgument('caller.user_id is required to continue a conversation');
  }
  if (request.parentMessageId !== '') {
    if (request.conversationId === '') throw invalidArgument('parent_message_id needs a conversation_id');
    if (!isUuid(request.parentMessageId)) throw invalidArgument('parent_message_id must be a UUID');
  }
  if (request.model === '') throw invalidArgument('model is required');
  requireStorableText('model', request.model);
  if (request.messages.length === 0) throw invalidArgument('messages must not be empty');
  if (request.messages.length > MAX_MESSAGES)
    throw invalidArgument(`at most ${MAX_MESSAGES} messages per turn`);
  request.messages.forEach((message, index) =>
    validateMessage(message, index, request.conversationId !== ''),
  );
  const last = request.messages[request.messages.length - 1];
  if (last.role === commonV1.Role.ROLE_ASSISTANT)
    throw invalidArgument('the last message must not be an assistant message');
  const names = new Set<string>();
  request.tools.forEach((tool, index) => {
    if (!TOOL_NAME.test(tool.name))
      throw invalidArgument(`tools[${index}].name must match ${TOOL_NAME.source}`);
    if (names.has(tool.name)) throw invalidArgument(`tools[${index}].name "${tool.name}" is not unique`);
    names.add(tool.name);
    if (tool.parametersJsonSchema !== '') {
      try {
        JSON.parse(tool.parametersJsonSchema);
      } catch {
        throw invalidArgument(`tools[${index}].parameters_json_schema is not valid JSON`);
      }
    }
  });
  const serverNames = new Set<string>();
  request.serverToolNames.forEach((name, index) => {
    if (!TOOL_NAME.test(name))
      throw invalidArgument(`server_tool_names[${index}] must match ${TOOL_NAME.source}`);
    // One name, one executor: a call is the client's or the tool runner's, never ambiguous.
    if (names.has(name) || serverNames.has(name))
      throw invalidArgument(`server_tool_names[${index}] "${name}" is not unique (tools included)`);
    serverNames.add(name);
  });
  const choice = request.toolChoice;
  if (
    choice?.mode === commonV1.ToolChoiceMode.TOOL_CHOICE_MODE_FORCED &&
    !names.has(choice.name) &&
    !serverNames.has(choice.name)
  )
    throw invalidArgument('tool_choice names a tool that is not in tools or server_tool_names');
  const retrieval = request.retrieval;
  if (retrieval?.enabled) {
    if (retrieval.fileIds.length > MAX_RETRIEVAL_FILES)
      throw invalidArgument(`retrieval.file_ids holds at most ${MAX_RETRIEVAL_FILES} files`);
    retrieval.fileIds.forEach((id, index) => {
      if (!isUuid(id)) throw invalidArgument(`retrieval.file_ids[${index}] must be a UUID`);
    });
    if (retrieval.topK > MAX_RETRIEVAL_TOP_K)
      throw invalidArgument(`retrieval.top_k must be within 0..${MAX_RETRIEVAL_TOP_K}`);
  }
  const sampling = request.sampling;
  if (sampling?.temperature != null && (sampling.temperature < 0 || sampling.temperature > 2))
    throw invalidArgument('sampling.temperature must be within 0..2');
  return {
    request,
    caller,
    prompts: selectPrompts(request, prompts),
    conversationId: request.conversationId || undefined,
    parentMessageId: request.parentMessageId || undefined,
    idempotencyKey: request.idempotencyKey || undefined,
    outputValidator: outputValidatorFor(request.responseFormat),
  };
}

function selectPrompts(
  request: orchestratorV1.RunTurnRequest,
  prompts: Pick<PromptVariantSelector, 'select'> | undefined,
): PromptSelection {
  if (!prompts) {
    if (request.promptVariant !== '' && request.promptVariant !== CONTROL_VARIANT)
      throw invalidArgument(
        `prompt_variant "${request.promptVariant}" is not defined for model "${request.model}"`,
      );
    return { variant: CONTROL_VARIANT, experiment: '', prompts: DEFAULT_PROMPTS };
  }
  try {
    return prompts.select(request.model, request.conversationId || request.requestId, request.promptVariant);
  } catch (error) {
    if (error instanceof UnknownPromptVariantError) throw invalidArgument(`prompt_variant: ${error.message}`);
    throw error;
  }
}

export function validateMessage(message: commonV1.ChatMessage, index: number, continuing: boolean): void {
  const where = `messages[${index}]`;
  if (message.role === commonV1.Role.ROLE_UNSPECIFIED) throw invalidArgument(`${where}.role is required`);
  // Not `in commonV1.Role`: the generated enum also names UNRECOGNIZED (-1), which has no stored form.
  if (!MESSAGE_ROLES.has(message.role))
    throw invalidArgument(`${where}.role must be system, developer, user, assistant or tool`);
  if (message.role === commonV1.Role.ROLE_TOOL && message.toolCallId === '')
    throw invalidArgument(`${where}.tool_call_id is required for tool messages`);
  if (message.role !== commonV1.Role.ROLE_ASSISTANT && message.toolCalls.length > 0)
    throw invalidArgument(`${where}.tool_calls is only allowed on assistant messages`);
  // With a conversation the stored history has the assistant's answers; a client cannot add its own.
  if (continuing && message.role === commonV1.Role.ROLE_ASSISTANT)
    throw invalidArgument(`${where}: assistant messages cannot be appended to a stored conversation`);
  if (message.content.length === 0 && message.toolCalls.length === 0)
    throw invalidArgument(`${where}.content must not be empty`);
  message.content.forEach((part, partIndex) => {
    if (part.text == null && part.refusal == null && !part.image && !part.file)
      throw invalidArgument(`${where}.content[${partIndex}] has no content`);
  });
}
