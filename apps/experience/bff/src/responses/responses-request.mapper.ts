// Owns the translation of a Responses API request into the chat turn the orchestrator already runs:
// `instructions` become a developer message (never carried over a chain, as OpenAI specifies), the
// stored transcript of `previous_response_id` comes next (or, with `conversation`, the server's own
// history of that conversation, as chat's conversation_id), then this request's input items as chat
// messages (function_call items fold into one assistant message with tool_calls, function_call_output
// items become tool messages). The result goes through the chat mapper, so every check chat
// completions make (tool_choice names an offered tool, a schema is present, …) applies here too.
// It also gives every input item the id OpenAI's input_items listing shows.
import { randomBytes } from 'node:crypto';

import type { ChatCompletionRequest, ChatMessageInput } from '../chat/chat.schemas';
import { checkOutputSchemaOf } from '../chat/output-schema.check';
import { findPairingProblem } from '../chat/tool-call-pairing';
import { ApiError } from '../errors/api.error';
import type { CreateResponseRequest, InputContentPart, InputItem } from './responses.schemas';

/** An input item as stored and listed: OpenAI's item shape with its id and type always set. */
export type StoredInputItem = Record<string, unknown> & { id: string; type: string };

type UserPart = Exclude<Extract<ChatMessageInput, { role: 'user' }>['content'], string>[number];

function itemId(prefix: 'msg' | 'fc' | 'fco'): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

/** This request's input as items with ids (a string input is one user message). */
export function toStoredInputItems(input: CreateResponseRequest['input']): StoredInputItem[] {
  const items: InputItem[] = typeof input === 'string' ? [{ role: 'user', content: input }] : input;
  return items.map((item): StoredInputItem => {
    if (item.type === 'function_call') return { ...item, id: item.id ?? itemId('fc'), status: 'completed' };
    if (item.type === 'function_call_output') {
      return { ...item, id: item.id ?? itemId('fco'), status: 'completed' };
    }
    const content: InputContentPart[] =
      typeof item.content === 'string'
        ? [
            item.role === 'assistant'
              ? { type: 'output_text', text: item.content }
              : { type: 'input_text', text: item.content },
          ]
        : item.content;
    return {
      type: 'message',
      id: item.id ?? itemId('msg'),
      status: 'completed',
      role: item.role,
      content: item.role === 'assistant' ? content.map(withOutputTextFields) : content,
    };
  });
}

/** Chat messages of this request's input items, appended to `transcript` (the chain so far). */
export function toTranscript(transcript: ChatMessageInput[], items: InputItem[]): ChatMessageInput[] {
  const out = [...transcript];
  items.forEach((item, index) => {
    if (item.type === 'function_call') {
      const call = {
        id: item.call_id,
        type: 'function' as const,
        function: { name: item.name, arguments: item.arguments },
      };
      const last = out[out.length - 1];
      // A copy: `transcript`'s messages are the stored chain's, shared with the caller.
      if (last?.role === 'assistant')
        out[out.length - 1] = { ...last, tool_calls: [...(last.tool_calls ?? []), call] };
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
      return;
    }
    if (item.type === 'function_call_output') {
      const text =
        typeof item.output === 'string'
          ? item.output
          : item.output
              .filter((part) => part.type === 'input_text')
              .map((part) => part.text)
              .join('');
      out.push({ role: 'tool', tool_call_id: item.call_id, content: text });
      return;
    }
    out.push(toChatMessage(item, index));
  });
  return out;
}

/** The response whose transcript a new one continues, and how many of its leading messages are that one's. */
export interface TranscriptParent {
  id: string;
  length: number;
}

/**
 * The previous response, when `context` begins with its whole `transcript` unchanged: then only the
 * rest is stored with the new response. A function call appended to its last answer changes that
 * message, so such a context is stored whole.
 */
export function continuedTranscript(
  previousId: string | null | undefined,
  transcript: ChatMessageInput[],
  context: ChatMessageInput[],
): TranscriptParent | undefined {
  if (!previousId || !transcript.every((message, index) => context[index] === message)) return undefined;
  return { id: previousId, length: transcript.length };
}

/** The chat completion request that runs this response's turn. */
export function toChatRequest(
  body: CreateResponseRequest,
  messages: ChatMessageInput[],
): ChatCompletionRequest {
  checkSemantics(body);
  // With a conversation the calls being answered are in its stored history, not in this chain.
  if (body.conversation == null) checkCallOutputs(messages);
  const format = body.text?.format;
  return {
    model: body.model,
    messages: body.instructions ? [{ role: 'developer', content: body.instructions }, ...messages] : messages,
    conversation_id: conversationIdOf(body),
    temperature: body.temperature,
    top_p: body.top_p,
    max_completion_tokens: body.max_output_tokens,
    stream: body.stream,
    tools: body.tools?.map((tool) => ({
      type: 'function' as const,
      function: {
        name: tool.name,
        ...(tool.description != null && { description: tool.description }),
        ...(tool.parameters != null && { parameters: tool.parameters }),
        strict: tool.strict,
      },
    })),
    tool_choice:
      typeof body.tool_choice === 'object'
        ? { type: 'function', function: { name: body.tool_choice.name } }
        : body.tool_choice,
    parallel_tool_calls: body.parallel_tool_calls ?? undefined,
    response_format:
      format?.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: {
              name: format.name,
              schema: format.schema,
              strict: format.strict,
              ...(format.description !== undefined && { description: format.description }),
            },
          }
        : format,
    user: body.user,
    retrieval: body.retrieval,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The stored conversation a response continues (its history comes from the server), if any. */
export function conversationIdOf(body: CreateResponseRequest): string | undefined {
  if (body.conversation == null) return undefined;
  const id = typeof body.conversation === 'string' ? body.conversation : body.conversation.id;
  if (!UUID.test(id)) {
    throw new ApiError(404, `No conversation found with id '${id}'.`, {
      code: 'not_found',
      param: 'conversation',
    });
  }
  return id;
}

/** The checks beyond types (parameters that exclude each other), before anything is looked up. */
export function checkSemantics(body: CreateResponseRequest): void {
  if (body.background === true && body.store === false) {
    throw ApiError.badRequest('A background response must be stored: leave store on.', 'store');
  }
  if (body.conversation != null && body.previous_response_id != null) {
    throw ApiError.badRequest('Use conversation or previous_response_id, not both.', 'previous_response_id');
  }
  const format = body.text?.format;
  if (format?.type === 'json_schema')
    checkOutputSchemaOf(JSON.stringify(format.schema), format.name, 'text.format');
}

/** OpenAI's 400s for an output that answers no call, and calls of the chain left without output. */
function checkCallOutputs(messages: ChatMessageInput[]): void {
  const problem = findPairingProblem(messages);
  if (!problem) return;
  if (problem.kind === 'missing_result')
    throw ApiError.badRequest(
      `No tool output found for function call ${problem.callIds.join(', ')}.`,
      'input',
    );
  throw ApiError.badRequest(
    `No tool call found for function call output with call_id ${problem.callId}.`,
    'input',
  );
}

function toChatMessage(item: Extract<InputItem, { role: string }>, index: number): ChatMessageInput {
  const param = `input[${index}].content`;
  if (typeof item.content === 'string') return { role: item.role, content: item.content } as ChatMessageInput;
  if (item.role === 'assistant') {
    const text = item.content.map((part, p) => textOf(part, `${param}[${p}]`)).join('');
    return { role: 'assistant', content: text };
  }
  if (item.role === 'user') {
    return { role: 'user', content: item.content.map((part, p) => toUserPart(part, `${param}[${p}]`)) };
  }
  return {
    role: item.role,
    content: item.content.map((part, p) => ({ type: 'text' as const, text: textOf(part, `${param}[${p}]`) })),
  };
}

function textOf(part: InputContentPart, param: string): string {
  if (part.type === 'input_text' || part.type === 'output_text') return part.text;
  if (part.type === 'refusal') return part.refusal;
  throw ApiError.badRequest(`Only text content is allowed here, not ${part.type}.`, param);
}

function toUserPart(part: InputContentPart, param: string): UserPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image':
      if (!part.image_url) {
        throw ApiError.badRequest(
          'An input_image needs image_url (file_id images are not supported).',
          param,
        );
      }
      return {
        type: 'image_url',
        image_url: { url: part.image_url, ...(part.detail && { detail: part.detail }) },
      };
    case 'input_file':
      if (!part.file_id) {
        throw ApiError.badRequest(
          'Only uploaded files are supported: upload the file and pass its file_id.',
          `${param}.file_id`,
        );
      }
      return {
        type: 'file',
        file: { file_id: part.file_id, ...(part.filename && { filename: part.filename }) },
      };
  }
}

function withOutputTextFields(part: InputContentPart): InputContentPart {
  return part.type === 'output_text'
    ? { ...part, annotations: part.annotations ?? [], logprobs: part.logprobs ?? [] }
    : part;
}
